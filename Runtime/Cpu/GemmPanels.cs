using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dsl.Cpu;

/// <summary>
/// Op(B) for <see cref="Gemm.MultiplyPanels{T, TSource}"/>: a matrix that is never stored whole, whose column panels
/// are written straight into the GEMM's packing buffer (a convolution's column matrix, read from the image itself).
/// </summary>
internal unsafe interface IPanelSource<T> where T : unmanaged
{
    /// <summary>Writes op(B)'s rows [p0, p0 + depth) × columns [j0, j0 + columns) to <paramref name="packed"/>, row p
    /// at (p − p0)·panelWidth, and zeros in the columns from <paramref name="columns"/> to panelWidth.</summary>
    void Pack(int p0, int depth, int j0, int columns, T* packed, int panelWidth);
}

public static partial class Gemm
{
    /// <summary>Whether <see cref="MultiplyPanels{T, TSource}"/> runs here: the blocked algorithm, for float.</summary>
    internal static bool PanelsSupported<T>() =>
        typeof(T) == typeof(float) && FastestImplementation != Implementation.Portable;

    /// <summary>
    /// C (m×n) (+)= A·op(B) on the calling thread, A row-major m×k, op(B) k×n packed panel by panel by
    /// <paramref name="b"/>, the same blocking and arithmetic as <see cref="Multiply{T}(bool, bool, int, int, int, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, bool, bool)"/>
    /// with B stored: the same bits. Only where <see cref="PanelsSupported{T}"/>; operands are not validated.
    /// </summary>
    internal static unsafe void MultiplyPanels<T, TSource>(int m, int n, int k, T* a, ref TSource b, T* c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where TSource : struct, IPanelSource<T>
    {
        if (FastestImplementation == Implementation.Avx512)
            MultiplyPanels<T, Vector512<T>, Avx512Vectors<T>, TSource>(m, n, k, a, ref b, c, accumulate);
        else MultiplyPanels<T, Vector256<T>, Avx2Vectors<T>, TSource>(m, n, k, a, ref b, c, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyPanels<T, TVector, TSet, TSource>(int m, int n, int k, T* a, ref TSource b, T* c,
        bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector>
        where TSource : struct, IPanelSource<T>
    {
        if (m == 0 || n == 0 || k == 0) throw new ArgumentOutOfRangeException(nameof(k), "Every size must be positive.");
        int lanes = TSet.Lanes, tileColumns = 2 * lanes;
        int depthBlocks = (k + DepthBlock - 1) / DepthBlock;
        int maxDepth = (k + depthBlocks - 1) / depthBlocks;
        int maxColumns = Math.Min(ColumnBlock, RoundUp(n, tileColumns));
        var x = new Operands<T>(transposeA: false, transposeB: false, m, n, k, a, null, c, accumulate);
        fixed (T* buffer = PackingBuffer<T>(maxDepth * (maxColumns + TileRows) + CacheLine / sizeof(T)))
        {
            T* packedB = (T*)(((nint)buffer + CacheLine - 1) & -CacheLine);
            T* packedA = packedB + maxDepth * maxColumns;
            for (int j0 = 0; j0 < n; j0 += ColumnBlock)
            {
                int width = Math.Min(ColumnBlock, n - j0);
                for (int block = 0; block < depthBlocks; block++)
                {
                    int p0 = (int)((long)k * block / depthBlocks);
                    int depth = (int)((long)k * (block + 1) / depthBlocks) - p0;
                    // The panels PackB would write: 2·lanes wide, a last one of at most lanes columns one vector wide.
                    for (int jr = 0; jr < width; jr += tileColumns)
                    {
                        int columns = Math.Min(tileColumns, width - jr);
                        b.Pack(p0, depth, j0 + jr, columns, packedB + jr * depth, columns > lanes ? tileColumns : lanes);
                    }
                    bool overwrite = block == 0 && !accumulate;
                    for (int i0 = 0; i0 < m; i0 += RowBlock)
                        MultiplyRowBlock<T, TVector, TSet>(x, i0, Math.Min(RowBlock, m - i0), j0, width, p0, depth,
                            packedB, packB: true, packedA, overwrite);
                }
            }
        }
    }
}
