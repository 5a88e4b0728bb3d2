//! Patterns of use of `AlignedVec` and `Arena` for Miri (undefined
//! behaviour, aliasing, out-of-bounds, leaks); they also run natively.
//!
//! ```text
//! cargo +nightly miri test --manifest-path fuzz/Cargo.toml --no-default-features --test buffers
//! ```
//!
//! `arena_slices_survive_later_allocations` is the regression test for a
//! Stacked Borrows violation Miri found in `Arena::alloc` (see
//! RELIABILITY.md): a second `alloc` retags the whole block as shared
//! (`self.capacity()` goes through `AlignedVec::deref`), which invalidates
//! the `&mut` slices handed out before it. It passes natively and fails
//! under Miri until the arena stops creating a reference to the whole block.

use simdpar_kernels::{AlignedVec, Arena, ArenaError, BufferError};

#[test]
fn aligned_vec_lifecycle() {
    for align in [4usize, 8, 16, 64, 256, 4096] {
        for len in [0usize, 1, 3, 17, 64] {
            let mut v = AlignedVec::<f32>::try_zeroed_aligned(len, align).unwrap();
            assert_eq!(v.as_ptr() as usize % align, 0);
            assert!(v.iter().all(|&x| x == 0.0));
            for (i, x) in v.iter_mut().enumerate() {
                *x = i as f32;
            }
            let w = v.clone();
            drop(v);
            assert!(w.iter().enumerate().all(|(i, &x)| x == i as f32));
            assert_eq!(w.alignment(), align);
        }
    }
    let v = AlignedVec::from_slice(&[1.0f64, 2.0, 3.0]);
    assert_eq!(format!("{v:?}"), "[1.0, 2.0, 3.0]");
    let z = AlignedVec::<u8>::zeroed(0);
    assert!(z.is_empty());
}

#[test]
fn aligned_vec_errors_allocate_nothing() {
    assert_eq!(
        AlignedVec::<f32>::try_zeroed_aligned(1, 3).unwrap_err(),
        BufferError::BadAlignment(3)
    );
    assert!(matches!(
        AlignedVec::<f64>::try_zeroed_aligned(usize::MAX / 2, 64),
        Err(BufferError::TooLarge(_))
    ));
    assert!(matches!(
        AlignedVec::<u8>::try_zeroed_aligned(isize::MAX as usize, 64),
        Err(BufferError::TooLarge(_))
    ));
}

#[test]
fn aligned_vec_is_send_and_sync() {
    let v = AlignedVec::from_slice(&[1u32, 2, 3, 4]);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| assert_eq!(v.iter().sum::<u32>(), 10));
        }
    });
    let mut v = v;
    std::thread::spawn(move || {
        v[0] = 9;
        assert_eq!(v[0], 9);
    })
    .join()
    .unwrap();
}

#[test]
fn arena_one_slice_at_a_time() {
    let mut arena = Arena::new(1024).unwrap();
    for round in 0..3u8 {
        {
            let a: &mut [u8] = arena.alloc_aligned(100, 1).unwrap();
            a.fill(round);
            assert!(a.iter().all(|&x| x == round));
        }
        arena.reset();
        assert_eq!(arena.used(), 0);
    }
    let e = arena.alloc::<f64>(1000).unwrap_err();
    assert!(matches!(e, ArenaError::Exhausted { .. }), "{e}");
    assert!(matches!(
        arena.alloc::<f64>(usize::MAX),
        Err(ArenaError::TooLarge(_))
    ));
}

/// Two live slices from one arena, written after the second was handed out.
#[test]
fn arena_slices_survive_later_allocations() {
    let arena = Arena::new(4096).unwrap();
    let a: &mut [f32] = arena.alloc(3).unwrap();
    a[0] = 1.0;
    let b: &mut [f64] = arena.alloc(5).unwrap();
    b.fill(2.0);
    a.fill(1.5); // `a` must still be usable after the second alloc
    let c = arena.alloc_copy(&[7u32, 8, 9]).unwrap();
    c[0] += 1;
    assert_eq!((a[2], b[4], c[0]), (1.5, 2.0, 8));
    let a_end = a.as_ptr_range().end as usize;
    assert!(a_end <= b.as_ptr() as usize);
}
