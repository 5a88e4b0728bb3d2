// ISA tokens cannot be conjured from nothing: their field is private, so the
// only ways to get one are `new()` (checked) or `unsafe new_unchecked()`.
fn main() {
    let _t = simdpar::Avx2(());
}
