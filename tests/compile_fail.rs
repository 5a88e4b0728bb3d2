//! Compile-fail tests: the type system forbids resetting an arena while a
//! slice from it is alive, and forging an ISA token.

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "expected compiler messages are recorded on x86-64"
)]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
