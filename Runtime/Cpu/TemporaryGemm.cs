using System.Numerics;
namespace Dsl.Cpu;
// Temporary naive stand-in until the packed SIMD GEMM lands.
public static class Gemm
{
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T sum = accumulate ? c[i * n + j] : T.Zero;
                for (int p = 0; p < k; p++)
                    sum += (transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = sum;
            }
    }
}
