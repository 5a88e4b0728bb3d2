//! Finding the local `.mojo` files a source imports, so that their bytes
//! are part of the cache key.
//!
//! Only `import a.b` and `from a.b import c` lines are read (a light scan,
//! not a parser). A module path resolves in the first search directory
//! holding `a/b.mojo`, `a/b/__init__.mojo` (a package: every `.mojo` file
//! in it counts) or, for `from a.b import c`, `a/b/c.mojo`. Relative
//! imports (`from .x import y`) resolve against the importing file's
//! directory. Names that resolve nowhere (the standard library, `python`)
//! are ignored. Found files are scanned in turn, so imports of imports
//! count too.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::MojoError;

/// One `import` / `from ... import` statement: the dotted module path, its
/// count of leading dots (relative imports) and the imported names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportLine {
    /// Leading dots of a relative import (0: absolute).
    pub dots: usize,
    /// Module path components, e.g. `["a", "b"]` for `a.b`.
    pub module: Vec<String>,
    /// Names after `from ... import` (empty for a plain `import`).
    pub names: Vec<String>,
}

/// The import statements of `text`, in order (comments and string-looking
/// lines are skipped; parenthesized name lists are read on one line only).
pub(crate) fn parse_imports(text: &str) -> Vec<ImportLine> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("from ") {
            let Some((module, names)) = rest.split_once(" import ") else {
                continue;
            };
            let module = module.trim();
            let dots = module.len() - module.trim_start_matches('.').len();
            let names = names
                .trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace())
                .split(',')
                .filter_map(|n| n.split_whitespace().next())
                .filter(|n| is_ident(n))
                .map(str::to_string)
                .collect();
            out.push(ImportLine {
                dots,
                module: split_module(&module[dots..]),
                names,
            });
        } else if let Some(rest) = line.strip_prefix("import ") {
            for part in rest.split(',') {
                let Some(module) = part.split_whitespace().next() else {
                    continue;
                };
                out.push(ImportLine {
                    dots: 0,
                    module: split_module(module),
                    names: Vec::new(),
                });
            }
        }
    }
    out
}

fn split_module(m: &str) -> Vec<String> {
    m.split('.')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// The files one module path names under `base`: a module file, or every
/// `.mojo` file of a package directory.
fn resolve_in(base: &Path, module: &[String], names: &[String]) -> Vec<PathBuf> {
    let mut dir = base.to_path_buf();
    for part in module {
        dir.push(part);
    }
    let mut found = Vec::new();
    if !module.is_empty() {
        let file = dir.with_extension("mojo");
        if file.is_file() {
            found.push(file);
            return found;
        }
    }
    if dir.join("__init__.mojo").is_file() || (module.is_empty() && dir.is_dir()) {
        for n in names {
            let f = dir.join(format!("{n}.mojo"));
            if f.is_file() {
                found.push(f);
            }
        }
        let init = dir.join("__init__.mojo");
        if init.is_file() {
            found.push(init);
        }
    }
    found
}

/// Every local `.mojo` file that `text` (the source of the file at
/// `source_path`, if it has one) imports, directly or through other local
/// files, searched in `search_dirs` in order. Sorted, without duplicates,
/// never including `source_path` itself.
pub(crate) fn local_imports(
    text: &str,
    source_path: Option<&Path>,
    search_dirs: &[PathBuf],
) -> Result<Vec<PathBuf>, MojoError> {
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut todo: Vec<(String, Option<PathBuf>)> = vec![(
        text.to_string(),
        source_path.map(|p| p.parent().unwrap_or(Path::new(".")).to_path_buf()),
    )];
    let own = source_path.and_then(|p| p.canonicalize().ok());
    while let Some((text, here)) = todo.pop() {
        for imp in parse_imports(&text) {
            let files = if imp.dots > 0 {
                let Some(mut base) = here.clone() else {
                    continue;
                };
                for _ in 1..imp.dots {
                    base.pop();
                }
                resolve_in(&base, &imp.module, &imp.names)
            } else {
                search_dirs
                    .iter()
                    .map(|d| resolve_in(d, &imp.module, &imp.names))
                    .find(|f| !f.is_empty())
                    .unwrap_or_default()
            };
            for f in files {
                let canon = f.canonicalize().unwrap_or_else(|_| f.clone());
                if own.as_ref() == Some(&canon) || !seen.insert(canon.clone()) {
                    continue;
                }
                let bytes = fs::read_to_string(&canon)
                    .map_err(|e| MojoError::io(format!("reading {}", canon.display()), e))?;
                let dir = canon.parent().map(Path::to_path_buf);
                todo.push((bytes, dir));
            }
        }
    }
    Ok(seen.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_from_and_relative_imports() {
        let src = "from std.python import PythonObject\nimport helper, pkg.sub as s  # c\n\
                   from .sib import (a, b)\n# import nothing\nx = 1\n";
        let got = parse_imports(src);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].module, vec!["std", "python"]);
        assert_eq!(got[0].names, vec!["PythonObject"]);
        assert_eq!(got[1].module, vec!["helper"]);
        assert_eq!(got[2].module, vec!["pkg", "sub"]);
        assert_eq!((got[3].dots, got[3].module.len()), (1, 1));
        assert_eq!(got[3].names, vec!["a", "b"]);
    }

    #[test]
    fn finds_direct_and_transitive_local_imports_only() {
        let d = std::env::temp_dir().join(format!("simdpar-imports-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("pkg")).unwrap();
        fs::write(d.join("helper.mojo"), "from pkg import tool\n").unwrap();
        fs::write(d.join("pkg/__init__.mojo"), "").unwrap();
        fs::write(d.join("pkg/tool.mojo"), "def t(): pass\n").unwrap();
        fs::write(d.join("unrelated.mojo"), "def u(): pass\n").unwrap();
        let main = d.join("main.mojo");
        let text = "from std.os import abort\nfrom helper import f\n";
        fs::write(&main, text).unwrap();
        let found = local_imports(text, Some(&main), std::slice::from_ref(&d)).unwrap();
        let names: Vec<String> = found
            .iter()
            .map(|p| {
                p.strip_prefix(d.canonicalize().unwrap())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            vec!["helper.mojo", "pkg/__init__.mojo", "pkg/tool.mojo"]
        );
        // No search dir: nothing local resolves.
        assert!(local_imports(text, None, &[]).unwrap().is_empty());
        let _ = fs::remove_dir_all(&d);
    }
}
