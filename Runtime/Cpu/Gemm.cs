using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dsl.Cpu;

/// <summary>
/// General matrix multiply on the CPU, the primitive under every dense and convolution layer:
/// C = op(A)·op(B) or C += op(A)·op(B), where op transposes its operand or leaves it as it is.
/// </summary>
/// <remarks>
/// <para>On x64 with AVX2 and FMA, <see cref="float"/> and <see cref="double"/> run a cache-blocked, packed,
/// register-tiled kernel (<c>GemmBlocked.cs</c>, <c>GemmMicroKernels.cs</c>) with 512-bit vectors where AVX-512 is
/// fast, 256-bit ones otherwise, on all cores when the product is big enough to pay for it. Anything else (other
/// CPUs, other element types) takes a simple vectorised loop (<c>GemmPortable.cs</c>).</para>
/// <para>Results are bit-for-bit reproducible for given inputs: every element of C is computed by one thread, always
/// with the same summation order (an FMA chain over each block of 256 steps of k, the blocks added to C in order),
/// however the work is scheduled, and the same on AVX2 and AVX-512 machines. The portable path sums differently.</para>
/// <para>Small products run on the calling thread; larger ones are split over the cores by the
/// <see cref="WorkerPool"/>, unless the caller passes <c>parallel: false</c> (as convolutions do inside their own
/// parallel loop over images). Packing buffers are per thread and reused, so nothing allocates once warm.</para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>
    /// C (m×n) = op(A)·op(B), or C += op(A)·op(B) when <paramref name="accumulate"/>. All matrices are row-major and
    /// dense: A is m×k (k×m when <paramref name="transposeA"/>), B is k×n (n×k when <paramref name="transposeB"/>),
    /// C is m×n.
    /// </summary>
    /// <param name="transposeA">Whether <paramref name="a"/> holds Aᵀ (k×m) rather than A (m×k).</param>
    /// <param name="transposeB">Whether <paramref name="b"/> holds Bᵀ (n×k) rather than B (k×n).</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="n">Columns of C and of op(B).</param>
    /// <param name="k">The shared dimension: columns of op(A), rows of op(B). With k = 0, C becomes zero (or is left
    /// as it is when <paramref name="accumulate"/>).</param>
    /// <param name="a">A's elements; only the first m·k are read, the rest are ignored.</param>
    /// <param name="b">B's elements; only the first k·n are read.</param>
    /// <param name="c">C's elements; only the first m·n are written. Must not overlap A or B.</param>
    /// <param name="accumulate">Add the product to C's contents instead of overwriting them.</param>
    /// <param name="parallel">Whether a large product may be split over the cores (the default). Pass false to keep it
    /// on the calling thread, e.g. inside a caller's own parallel loop; the result is the same bit for bit either way.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its matrix, or C overlaps A or B.</exception>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate, bool parallel = true)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Multiply(FastestImplementation, transposeA, transposeB, m, n, k, a, b, c, accumulate, parallel);

    /// <summary>The implementations, fastest last; tests run each one this machine supports.</summary>
    internal enum Implementation
    {
        /// <summary>Row-at-a-time loops over TensorPrimitives: any CPU, any element type.</summary>
        Portable,
        /// <summary>The blocked algorithm with 256-bit vectors.</summary>
        Avx2,
        /// <summary>The blocked algorithm with 512-bit vectors.</summary>
        Avx512,
    }

    /// <summary>The fastest implementation this CPU runs. AVX-512 only where the runtime reports 512-bit vectors as
    /// accelerated, which it does not on cores that slow their clock for them.</summary>
    internal static Implementation FastestImplementation { get; } =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? Implementation.Avx512
        : Fma.IsSupported && Avx2.IsSupported ? Implementation.Avx2
        : Implementation.Portable;

    /// <summary><see cref="Multiply{T}(bool, bool, int, int, int, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, bool, bool)"/>
    /// with a chosen implementation, which this CPU must support; float and double only for the vectorised ones.</summary>
    internal static void Multiply<T>(Implementation implementation, bool transposeA, bool transposeB, int m, int n,
        int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate, bool parallel = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        a = a[..RequiredLength(a.Length, transposeA ? k : m, transposeA ? m : k, transposeA ? "k×m" : "m×k", nameof(a))];
        b = b[..RequiredLength(b.Length, transposeB ? n : k, transposeB ? k : n, transposeB ? "n×k" : "k×n", nameof(b))];
        c = c[..RequiredLength(c.Length, m, n, "m×n", nameof(c))];
        if (c.Overlaps(a) || c.Overlaps(b))
            throw new ArgumentException("C must not overlap A or B: it is written while they are read.", nameof(c));

        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c.Clear();
            return;
        }

        if (typeof(T) != typeof(float) && typeof(T) != typeof(double)) implementation = Implementation.Portable;
        switch (implementation)
        {
            case Implementation.Avx512:
                MultiplyBlocked<T, Vector512<T>, Avx512Vectors<T>>(transposeA, transposeB, m, n, k, a, b, c, accumulate, parallel);
                break;
            case Implementation.Avx2:
                MultiplyBlocked<T, Vector256<T>, Avx2Vectors<T>>(transposeA, transposeB, m, n, k, a, b, c, accumulate, parallel);
                break;
            default:
                MultiplyPortable(transposeA, transposeB, m, n, k, a, b, c, accumulate);
                break;
        }
    }

    /// <summary>rows·columns, the elements the operand's matrix needs, or an exception naming the operand when its
    /// span is shorter.</summary>
    private static int RequiredLength(int spanLength, int rows, int columns, string shape, string name)
    {
        long length = (long)rows * columns;
        if (spanLength < length)
            throw new ArgumentException(
                $"Matrix {name.ToUpperInvariant()} ({shape} = {rows}×{columns}) needs {length} elements but its span holds {spanLength}.",
                name);
        return (int)length;
    }
}
