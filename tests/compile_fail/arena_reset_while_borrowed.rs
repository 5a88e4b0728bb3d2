// An arena slice borrows the arena, so `reset` (which needs `&mut`) cannot
// run while the slice is alive: this must not compile.
use simdpar::Arena;

fn main() {
    let mut arena = Arena::new(1024).unwrap();
    let scratch: &mut [f32] = arena.alloc(16).unwrap();
    arena.reset();
    scratch[0] = 1.0;
}
