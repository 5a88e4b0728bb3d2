# simdpar Mojo twins: one Mojo kernel per simdpar kernel, f32 and f64, exported
# with the C ABI so that Rust (crate simdpar-mojo) can call them in-process on
# the same buffers as the Rust kernels.
#
# Numerical contract (identical to the Rust kernels):
#   add/multiply/square/scale: one IEEE operation per element.
#   leaky_relu(x) = select(x > 0, x, alpha * x)   (compare, multiply, select:
#     the standard leaky ReLU; -0.0, -inf and NaN take alpha * x)
#   mandelbrot: c = (xmin + x*dx, ymin + y*dy), dx = (xmax-xmin)/width,
#     dy = (ymax-ymin)/height; z = 0; at most max_iter times:
#     if zr*zr + zi*zi > 4: stop; count += 1;
#     zi' = (2*zr)*zi + ci; zr' = (zr*zr - zi*zi) + cr.
#   sum/row_sums: any summation order (4 vector accumulators here).
# Built with `--fp-mode contract=off` the elementwise kernels and mandelbrot
# are bit-identical to the Rust kernels; `contract=fast` lets LLVM fuse
# multiply-add pairs into FMAs (only mandelbrot has such pairs, so only it
# changes).
#
# Compile-time defines (`mojo build -D NAME=VALUE`):
#   SIMDPAR_F32_WIDTH  lanes per f32 vector (default: simd_width_of the target)
#   SIMDPAR_F64_WIDTH  lanes per f64 vector (default: simd_width_of the target)
# With SIMDPAR_F32_WIDTH=16 on an AVX2 target every f32 vector op is split
# into two 256-bit ops by LLVM (the "forced 16 lanes" variant).
#
# Threads: pthread fork-join through `external_call` (libc only). The
# `parallelize` of the MAX package would drag the Mojo async runtime and
# ~3 MB of shared libraries into a process that otherwise has no Mojo
# runtime; these kernels stay self-contained (NEEDED: libc only).
from std.ffi import external_call
from std.math import iota
from std.memory import stack_allocation
from std.sys import get_defined_int
from std.sys.info import simd_width_of
from std.sys.intrinsics import masked_load, masked_store

comptime ABI_VERSION = 1
comptime MAX_THREADS = 256
# Multiply work item size for the threaded kernel (elements).
comptime MUL_BLOCK = 16384

comptime F32_FORCED = get_defined_int["SIMDPAR_F32_WIDTH", 0]()
comptime F64_FORCED = get_defined_int["SIMDPAR_F64_WIDTH", 0]()
comptime W32 = F32_FORCED if F32_FORCED > 0 else simd_width_of[DType.float32]()
comptime W64 = F64_FORCED if F64_FORCED > 0 else simd_width_of[DType.float64]()

comptime Ptr[dt: DType] = Pointer[Scalar[dt], MutAnyOrigin]
comptime RawPtr[dt: DType] = Pointer[Scalar[dt], MutUntrackedOrigin]
comptime U32Ptr = Pointer[UInt32, MutAnyOrigin]
comptime RawU32 = Pointer[UInt32, MutUntrackedOrigin]
comptime Ctx = Pointer[NoneType, MutUntrackedOrigin]


@always_inline
def _lanes[dt: DType]() -> Int:
    comptime if dt == DType.float32:
        return W32
    else:
        return W64


# ---------------------------------------------------------------------------
# Fork-join helper: [0, items) split into `nt` contiguous chunks; chunk 0 runs
# on the calling thread, the others on fresh pthreads, then all are joined.
# ---------------------------------------------------------------------------
@fieldwise_init
struct Chunk(Copyable):
    var ctx: Ctx
    var begin: Int
    var end: Int


def _thread_main[
    body: def(Ctx, Int, Int) thin -> None
](arg: Pointer[Chunk, MutUntrackedOrigin]) abi("C") -> Pointer[
    Chunk, MutUntrackedOrigin
]:
    body(arg[].ctx, arg[].begin, arg[].end)
    return arg


def _online_cpus() -> Int:
    # sysconf(_SC_NPROCESSORS_ONLN = 84): no Mojo runtime needed.
    var n = Int(external_call["sysconf", Int64](Int32(84)))
    return n if n > 0 else 1


# Number of threads a kernel uses for `items` work items when asked for
# `nthreads` (<= 0 means "one per online CPU").
def _thread_count(nthreads: Int, items: Int) -> Int:
    var want = nthreads if nthreads > 0 else _online_cpus()
    return max(1, min(want, MAX_THREADS, items))


# Runs body over [0, items) on `nt` threads; returns the number of threads
# that ran a chunk (the caller included). Falls back to running the
# remaining chunks inline when pthread_create fails.
def _fork_join[
    body: def(Ctx, Int, Int) thin -> None
](ctx: Ctx, items: Int, nt: Int) -> Int:
    if nt <= 1 or items <= 1:
        body(ctx, 0, items)
        return 1
    var chunks = stack_allocation[MAX_THREADS, Chunk]()
    var tids = stack_allocation[MAX_THREADS, UInt64]()
    var per = items // nt
    var extra = items % nt
    var start = 0
    for t in range(nt):
        var len = per + (1 if t < extra else 0)
        chunks[unsafe_offset=t] = Chunk(ctx, start, start + len)
        start += len
    var spawned = 0
    for t in range(1, nt):
        var rc = external_call["pthread_create", Int32](
            tids.unsafe_offset(t),
            Int(0),
            _thread_main[body],
            chunks.unsafe_offset(t),
        )
        if rc != 0:
            break
        spawned += 1
    body(ctx, chunks[unsafe_offset=0].begin, chunks[unsafe_offset=0].end)
    for t in range(1, 1 + spawned):
        _ = external_call["pthread_join", Int32](tids[unsafe_offset=t], Int(0))
    for t in range(1 + spawned, nt):
        body(ctx, chunks[unsafe_offset=t].begin, chunks[unsafe_offset=t].end)
    return 1 + spawned


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------
@always_inline
def _tail_mask[W: Int](remaining: Int) -> SIMD[DType.bool, W]:
    return iota[DType.int64, W]().lt(Int64(remaining))


# Sum of p[0..n): 4 vector accumulators, 1-vector loop, masked tail.
@always_inline
def _sum[dt: DType](p: RawPtr[dt], n: Int) -> Scalar[dt]:
    comptime W = _lanes[dt]()
    var a0 = SIMD[dt, W](0)
    var a1 = SIMD[dt, W](0)
    var a2 = SIMD[dt, W](0)
    var a3 = SIMD[dt, W](0)
    var i = 0
    while i + 4 * W <= n:
        a0 += p.unsafe_load[width=W](i)
        a1 += p.unsafe_load[width=W](i + W)
        a2 += p.unsafe_load[width=W](i + 2 * W)
        a3 += p.unsafe_load[width=W](i + 3 * W)
        i += 4 * W
    while i + W <= n:
        a0 += p.unsafe_load[width=W](i)
        i += W
    if i < n:
        a1 += masked_load[W](
            p.unsafe_offset(i), _tail_mask[W](n - i), SIMD[dt, W](0)
        )
    return ((a0 + a1) + (a2 + a3)).reduce_add()


@fieldwise_init
struct RowSumArgs[dt: DType](Copyable):
    var m: RawPtr[Self.dt]
    var out_: RawPtr[Self.dt]
    var cols: Int


def _row_sums_body[dt: DType](ctx: Ctx, r0: Int, r1: Int):
    ref a = ctx.unsafe_bitcast[RowSumArgs[dt]]()[]
    for r in range(r0, r1):
        a.out_[unsafe_offset=r] = _sum[dt](a.m.unsafe_offset(r * a.cols), a.cols)


def _row_sums[dt: DType](
    m: Ptr[dt], cols: Int, out_: Ptr[dt], rows: Int, nthreads: Int
) -> Int:
    var args = RowSumArgs[dt](
        m.unsafe_origin_cast[MutUntrackedOrigin](),
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        cols,
    )
    var ctx = Pointer(to=args).unsafe_bitcast[NoneType]().unsafe_origin_cast[
        MutUntrackedOrigin
    ]()
    var used = _fork_join[_row_sums_body[dt]](
        ctx, rows, _thread_count(nthreads, rows)
    )
    _ = args^  # alive until every thread has joined
    return used


# ---------------------------------------------------------------------------
# Elementwise maps: the operation is a compile-time parameter.
# ---------------------------------------------------------------------------
# out[i] = op(a[i], b[i]); 2x unrolled vector loop, 1-vector loop, masked tail.
@always_inline
def _map2[
    dt: DType,
    op: def[w: Int](SIMD[dt, w], SIMD[dt, w]) thin -> SIMD[dt, w],
](a: RawPtr[dt], b: RawPtr[dt], out_: RawPtr[dt], n: Int):
    comptime W = _lanes[dt]()
    var i = 0
    while i + 2 * W <= n:
        var x0 = a.unsafe_load[width=W](i)
        var x1 = a.unsafe_load[width=W](i + W)
        var y0 = b.unsafe_load[width=W](i)
        var y1 = b.unsafe_load[width=W](i + W)
        out_.unsafe_store(i, op[W](x0, y0))
        out_.unsafe_store(i + W, op[W](x1, y1))
        i += 2 * W
    while i + W <= n:
        out_.unsafe_store(
            i, op[W](a.unsafe_load[width=W](i), b.unsafe_load[width=W](i))
        )
        i += W
    if i < n:
        var mask = _tail_mask[W](n - i)
        var x = masked_load[W](a.unsafe_offset(i), mask, SIMD[dt, W](0))
        var y = masked_load[W](b.unsafe_offset(i), mask, SIMD[dt, W](0))
        masked_store[W](op[W](x, y), out_.unsafe_offset(i), mask)


# out[i] = op(x[i], s) for a broadcast scalar s.
@always_inline
def _map1s[
    dt: DType,
    op: def[w: Int](SIMD[dt, w], SIMD[dt, w]) thin -> SIMD[dt, w],
](x: RawPtr[dt], s: Scalar[dt], out_: RawPtr[dt], n: Int):
    comptime W = _lanes[dt]()
    var sv = SIMD[dt, W](s)
    var i = 0
    while i + 2 * W <= n:
        var v0 = x.unsafe_load[width=W](i)
        var v1 = x.unsafe_load[width=W](i + W)
        out_.unsafe_store(i, op[W](v0, sv))
        out_.unsafe_store(i + W, op[W](v1, sv))
        i += 2 * W
    while i + W <= n:
        out_.unsafe_store(i, op[W](x.unsafe_load[width=W](i), sv))
        i += W
    if i < n:
        var mask = _tail_mask[W](n - i)
        var v = masked_load[W](x.unsafe_offset(i), mask, SIMD[dt, W](0))
        masked_store[W](op[W](v, sv), out_.unsafe_offset(i), mask)


@always_inline
def _op_add[dt: DType, w: Int](a: SIMD[dt, w], b: SIMD[dt, w]) -> SIMD[dt, w]:
    return a + b


@always_inline
def _op_mul[dt: DType, w: Int](a: SIMD[dt, w], b: SIMD[dt, w]) -> SIMD[dt, w]:
    return a * b


@always_inline
def _op_square[dt: DType, w: Int](v: SIMD[dt, w], _s: SIMD[dt, w]) -> SIMD[dt, w]:
    return v * v


@always_inline
def _op_leaky[dt: DType, w: Int](v: SIMD[dt, w], alpha: SIMD[dt, w]) -> SIMD[dt, w]:
    # Lanes > 0 keep v; the others (zeros, negatives, NaN) take alpha * v.
    return v.gt(SIMD[dt, w](0)).select(v, alpha * v)


@fieldwise_init
struct MulArgs[dt: DType](Copyable):
    var a: RawPtr[Self.dt]
    var b: RawPtr[Self.dt]
    var out_: RawPtr[Self.dt]
    var n: Int


# Work items are blocks of MUL_BLOCK elements; the last block may be short.
def _multiply_body[dt: DType](ctx: Ctx, b0: Int, b1: Int):
    ref m = ctx.unsafe_bitcast[MulArgs[dt]]()[]
    var start = b0 * MUL_BLOCK
    var end = min(b1 * MUL_BLOCK, m.n)
    if end > start:
        _map2[dt, _op_mul[dt, ...]](
            m.a.unsafe_offset(start),
            m.b.unsafe_offset(start),
            m.out_.unsafe_offset(start),
            end - start,
        )


def _multiply_mt[dt: DType](
    a: Ptr[dt], b: Ptr[dt], out_: Ptr[dt], n: Int, nthreads: Int
) -> Int:
    var args = MulArgs[dt](
        a.unsafe_origin_cast[MutUntrackedOrigin](),
        b.unsafe_origin_cast[MutUntrackedOrigin](),
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )
    var ctx = Pointer(to=args).unsafe_bitcast[NoneType]().unsafe_origin_cast[
        MutUntrackedOrigin
    ]()
    var blocks = (n + MUL_BLOCK - 1) // MUL_BLOCK
    var used = _fork_join[_multiply_body[dt]](
        ctx, blocks, _thread_count(nthreads, blocks)
    )
    _ = args^
    return used


# ---------------------------------------------------------------------------
# Mandelbrot: SIMD across x, sticky per-lane "still iterating" mask.
# ---------------------------------------------------------------------------
@fieldwise_init
struct MandelArgs[dt: DType](Copyable):
    var out_: RawU32
    var width: Int
    var height: Int
    var max_iter: UInt32
    var xmin: Scalar[Self.dt]
    var ymin: Scalar[Self.dt]
    var dx: Scalar[Self.dt]
    var dy: Scalar[Self.dt]
    var stride: Int  # rows handled by one work item: item, item+stride, ...


@always_inline
def _mandel_row[dt: DType](a: MandelArgs[dt], y: Int):
    comptime W = _lanes[dt]()
    var lane = iota[dt, W]()
    var four = SIMD[dt, W](4)
    var ci = SIMD[dt, W](a.ymin + Scalar[dt](y) * a.dy)
    var row = a.out_.unsafe_offset(y * a.width)
    var x = 0
    while x < a.width:
        var cr = SIMD[dt, W](a.xmin) + (lane + SIMD[dt, W](Scalar[dt](x))) * SIMD[
            dt, W
        ](a.dx)
        var zr = SIMD[dt, W](0)
        var zi = SIMD[dt, W](0)
        var count = SIMD[DType.uint32, W](0)
        var active = SIMD[DType.bool, W](fill=True)
        for _ in range(Int(a.max_iter)):
            var zr2 = zr * zr
            var zi2 = zi * zi
            # `not (mag > 4)` rather than `mag <= 4`: a NaN magnitude keeps
            # iterating, exactly like the scalar definition.
            active = active & ~(zr2 + zi2).gt(four)
            if not active.reduce_or():
                break
            count += active.select(
                SIMD[DType.uint32, W](1), SIMD[DType.uint32, W](0)
            )
            var two_zr = zr + zr
            zi = two_zr * zi + ci
            zr = (zr2 - zi2) + cr
        if x + W <= a.width:
            row.unsafe_store(x, count)
        else:
            masked_store[W](count, row.unsafe_offset(x), _tail_mask[W](a.width - x))
        x += W


def _mandel_body[dt: DType](ctx: Ctx, i0: Int, i1: Int):
    ref a = ctx.unsafe_bitcast[MandelArgs[dt]]()[]
    for item in range(i0, i1):
        var y = item
        while y < a.height:
            _mandel_row[dt](a, y)
            y += a.stride


def _mandelbrot[dt: DType](
    out_: U32Ptr,
    width: Int,
    height: Int,
    max_iter: UInt32,
    xmin: Scalar[dt],
    xmax: Scalar[dt],
    ymin: Scalar[dt],
    ymax: Scalar[dt],
    nthreads: Int,
) -> Int:
    if width <= 0 or height <= 0:
        return 1
    var nt = _thread_count(nthreads, height)
    # Rows are interleaved across threads (item t takes rows t, t+nt, ...):
    # the expensive rows near the set's centre are shared evenly.
    var args = MandelArgs[dt](
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        width,
        height,
        max_iter,
        xmin,
        ymin,
        (xmax - xmin) / Scalar[dt](width),
        (ymax - ymin) / Scalar[dt](height),
        nt,
    )
    var ctx = Pointer(to=args).unsafe_bitcast[NoneType]().unsafe_origin_cast[
        MutUntrackedOrigin
    ]()
    var used = _fork_join[_mandel_body[dt]](ctx, nt, nt)
    _ = args^
    return used


# ---------------------------------------------------------------------------
# C ABI. Int = int64_t/isize, pointers = T*, UInt32 = uint32_t.
# Threaded entry points take `nthreads` (<= 0: one per online CPU) and return
# the number of threads that ran.
# ---------------------------------------------------------------------------
@export("spm_abi_version")
def spm_abi_version() abi("C") -> Int:
    return ABI_VERSION


@export("spm_simd_width_f32")
def spm_simd_width_f32() abi("C") -> Int:
    return W32


@export("spm_simd_width_f64")
def spm_simd_width_f64() abi("C") -> Int:
    return W64


@export("spm_online_cpus")
def spm_online_cpus() abi("C") -> Int:
    return _online_cpus()


@export("spm_sum_f32")
def spm_sum_f32(x: Ptr[DType.float32], n: Int) abi("C") -> Float32:
    return _sum[DType.float32](x.unsafe_origin_cast[MutUntrackedOrigin](), n)


@export("spm_sum_f64")
def spm_sum_f64(x: Ptr[DType.float64], n: Int) abi("C") -> Float64:
    return _sum[DType.float64](x.unsafe_origin_cast[MutUntrackedOrigin](), n)


@export("spm_row_sums_f32")
def spm_row_sums_f32(
    m: Ptr[DType.float32], cols: Int, out_: Ptr[DType.float32], rows: Int
) abi("C"):
    _ = _row_sums[DType.float32](m, cols, out_, rows, 1)


@export("spm_row_sums_f64")
def spm_row_sums_f64(
    m: Ptr[DType.float64], cols: Int, out_: Ptr[DType.float64], rows: Int
) abi("C"):
    _ = _row_sums[DType.float64](m, cols, out_, rows, 1)


@export("spm_row_sums_mt_f32")
def spm_row_sums_mt_f32(
    m: Ptr[DType.float32],
    cols: Int,
    out_: Ptr[DType.float32],
    rows: Int,
    nthreads: Int,
) abi("C") -> Int:
    return _row_sums[DType.float32](m, cols, out_, rows, nthreads)


@export("spm_row_sums_mt_f64")
def spm_row_sums_mt_f64(
    m: Ptr[DType.float64],
    cols: Int,
    out_: Ptr[DType.float64],
    rows: Int,
    nthreads: Int,
) abi("C") -> Int:
    return _row_sums[DType.float64](m, cols, out_, rows, nthreads)


@export("spm_add_f32")
def spm_add_f32(
    a: Ptr[DType.float32], b: Ptr[DType.float32], out_: Ptr[DType.float32], n: Int
) abi("C"):
    _map2[DType.float32, _op_add[DType.float32, ...]](
        a.unsafe_origin_cast[MutUntrackedOrigin](),
        b.unsafe_origin_cast[MutUntrackedOrigin](),
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_add_f64")
def spm_add_f64(
    a: Ptr[DType.float64], b: Ptr[DType.float64], out_: Ptr[DType.float64], n: Int
) abi("C"):
    _map2[DType.float64, _op_add[DType.float64, ...]](
        a.unsafe_origin_cast[MutUntrackedOrigin](),
        b.unsafe_origin_cast[MutUntrackedOrigin](),
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_multiply_f32")
def spm_multiply_f32(
    a: Ptr[DType.float32], b: Ptr[DType.float32], out_: Ptr[DType.float32], n: Int
) abi("C"):
    _map2[DType.float32, _op_mul[DType.float32, ...]](
        a.unsafe_origin_cast[MutUntrackedOrigin](),
        b.unsafe_origin_cast[MutUntrackedOrigin](),
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_multiply_f64")
def spm_multiply_f64(
    a: Ptr[DType.float64], b: Ptr[DType.float64], out_: Ptr[DType.float64], n: Int
) abi("C"):
    _map2[DType.float64, _op_mul[DType.float64, ...]](
        a.unsafe_origin_cast[MutUntrackedOrigin](),
        b.unsafe_origin_cast[MutUntrackedOrigin](),
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_multiply_mt_f32")
def spm_multiply_mt_f32(
    a: Ptr[DType.float32],
    b: Ptr[DType.float32],
    out_: Ptr[DType.float32],
    n: Int,
    nthreads: Int,
) abi("C") -> Int:
    return _multiply_mt[DType.float32](a, b, out_, n, nthreads)


@export("spm_multiply_mt_f64")
def spm_multiply_mt_f64(
    a: Ptr[DType.float64],
    b: Ptr[DType.float64],
    out_: Ptr[DType.float64],
    n: Int,
    nthreads: Int,
) abi("C") -> Int:
    return _multiply_mt[DType.float64](a, b, out_, n, nthreads)


@export("spm_square_f32")
def spm_square_f32(
    x: Ptr[DType.float32], out_: Ptr[DType.float32], n: Int
) abi("C"):
    _map1s[DType.float32, _op_square[DType.float32, ...]](
        x.unsafe_origin_cast[MutUntrackedOrigin](),
        0,
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_square_f64")
def spm_square_f64(
    x: Ptr[DType.float64], out_: Ptr[DType.float64], n: Int
) abi("C"):
    _map1s[DType.float64, _op_square[DType.float64, ...]](
        x.unsafe_origin_cast[MutUntrackedOrigin](),
        0,
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_scale_f32")
def spm_scale_f32(
    x: Ptr[DType.float32], factor: Float32, out_: Ptr[DType.float32], n: Int
) abi("C"):
    _map1s[DType.float32, _op_mul[DType.float32, ...]](
        x.unsafe_origin_cast[MutUntrackedOrigin](),
        factor,
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_scale_f64")
def spm_scale_f64(
    x: Ptr[DType.float64], factor: Float64, out_: Ptr[DType.float64], n: Int
) abi("C"):
    _map1s[DType.float64, _op_mul[DType.float64, ...]](
        x.unsafe_origin_cast[MutUntrackedOrigin](),
        factor,
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_leaky_relu_f32")
def spm_leaky_relu_f32(
    x: Ptr[DType.float32], alpha: Float32, out_: Ptr[DType.float32], n: Int
) abi("C"):
    _map1s[DType.float32, _op_leaky[DType.float32, ...]](
        x.unsafe_origin_cast[MutUntrackedOrigin](),
        alpha,
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_leaky_relu_f64")
def spm_leaky_relu_f64(
    x: Ptr[DType.float64], alpha: Float64, out_: Ptr[DType.float64], n: Int
) abi("C"):
    _map1s[DType.float64, _op_leaky[DType.float64, ...]](
        x.unsafe_origin_cast[MutUntrackedOrigin](),
        alpha,
        out_.unsafe_origin_cast[MutUntrackedOrigin](),
        n,
    )


@export("spm_mandelbrot_f32")
def spm_mandelbrot_f32(
    out_: U32Ptr,
    width: Int,
    height: Int,
    max_iter: UInt32,
    xmin: Float32,
    xmax: Float32,
    ymin: Float32,
    ymax: Float32,
) abi("C"):
    _ = _mandelbrot[DType.float32](
        out_, width, height, max_iter, xmin, xmax, ymin, ymax, 1
    )


@export("spm_mandelbrot_f64")
def spm_mandelbrot_f64(
    out_: U32Ptr,
    width: Int,
    height: Int,
    max_iter: UInt32,
    xmin: Float64,
    xmax: Float64,
    ymin: Float64,
    ymax: Float64,
) abi("C"):
    _ = _mandelbrot[DType.float64](
        out_, width, height, max_iter, xmin, xmax, ymin, ymax, 1
    )


@export("spm_mandelbrot_mt_f32")
def spm_mandelbrot_mt_f32(
    out_: U32Ptr,
    width: Int,
    height: Int,
    max_iter: UInt32,
    xmin: Float32,
    xmax: Float32,
    ymin: Float32,
    ymax: Float32,
    nthreads: Int,
) abi("C") -> Int:
    return _mandelbrot[DType.float32](
        out_, width, height, max_iter, xmin, xmax, ymin, ymax, nthreads
    )


@export("spm_mandelbrot_mt_f64")
def spm_mandelbrot_mt_f64(
    out_: U32Ptr,
    width: Int,
    height: Int,
    max_iter: UInt32,
    xmin: Float64,
    xmax: Float64,
    ymin: Float64,
    ymax: Float64,
    nthreads: Int,
) abi("C") -> Int:
    return _mandelbrot[DType.float64](
        out_, width, height, max_iter, xmin, xmax, ymin, ymax, nthreads
    )
