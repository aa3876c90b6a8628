using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Dsl.Cpu;

public static partial class Gemm
{
    /// <summary>
    /// The fallback for CPUs without AVX2 and FMA and for element types other than float and double: one row of C at
    /// a time, with TensorPrimitives' vectorised row operations (which use whatever SIMD the CPU has). Single-threaded;
    /// arguments are already validated and non-empty.
    /// </summary>
    private static void MultiplyPortable<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Row i of op(A): a slice of A, or, when A is stored transposed, column i gathered into a scratch row.
        T[]? gathered = transposeA ? ArrayPool<T>.Shared.Rent(k) : null;
        try
        {
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<T> aRow;
                if (gathered is null) aRow = a.Slice(i * k, k);
                else
                {
                    for (int p = 0; p < k; p++) gathered[p] = a[p * m + i];
                    aRow = gathered.AsSpan(0, k);
                }

                Span<T> cRow = c.Slice(i * n, n);
                if (transposeB)
                {
                    // Column j of B is row j of the stored Bᵀ: each element is a contiguous dot product.
                    for (int j = 0; j < n; j++)
                    {
                        T dot = TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
                        cRow[j] = accumulate ? cRow[j] + dot : dot;
                    }
                }
                else
                {
                    // C's row accumulates the rows of B, each scaled by one element of A's row.
                    if (!accumulate) cRow.Clear();
                    for (int p = 0; p < k; p++) TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), aRow[p], cRow, cRow);
                }
            }
        }
        finally
        {
            if (gathered is not null) ArrayPool<T>.Shared.Return(gathered);
        }
    }
}
