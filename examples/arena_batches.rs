//! Processes a stream of batches with arena scratch space and no per-batch
//! allocation: each batch is normalised into arena scratch, passed through
//! `leaky_relu`, squared, and summed; the arena is reset after every batch.
//!
//! Run: `cargo run --release --example arena_batches`

use simdpar::{Arena, KernelError};

/// One batch of a stream: `rows x cols` values.
fn batch(seed: u64, rows: usize, cols: usize) -> Vec<f32> {
    let mut s = seed | 1;
    (0..rows * cols)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (rows, cols) = (256, 128);
    // Room for one batch's scratch: activations, squares and row sums.
    let bytes = 2 * rows * cols * 4 + rows * 4 + 3 * 64;
    let mut arena = Arena::new(bytes)?;
    let batches: Vec<Vec<f32>> = (0..8).map(|i| batch(i + 1, rows, cols)).collect();
    let mut totals = Vec::with_capacity(batches.len());
    for input in &batches {
        let total = process(&arena, input, cols)?;
        totals.push(total);
        // Every scratch slice of this batch is dead here; reuse the block.
        arena.reset();
    }
    for (i, t) in totals.iter().enumerate() {
        println!("batch {i}: sum of squared activations = {t:.4}");
    }
    println!(
        "arena: {} bytes, reused for {} batches",
        arena.capacity(),
        batches.len()
    );
    Ok(())
}

/// Scratch comes from the arena; nothing is allocated per batch.
fn process(arena: &Arena, input: &[f32], cols: usize) -> Result<f32, Box<dyn std::error::Error>> {
    let act: &mut [f32] = arena.alloc(input.len())?;
    simdpar::leaky_relu(input, 0.1, act)?;
    let sq: &mut [f32] = arena.alloc(input.len())?;
    simdpar::square(act, sq)?;
    let sums: &mut [f32] = arena.alloc(input.len() / cols)?;
    simdpar::row_sums(sq, cols, sums).map_err(|e: KernelError| e.to_string())?;
    Ok(simdpar::sum(sums))
}
