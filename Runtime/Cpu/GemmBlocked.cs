using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dsl.Cpu;

public static partial class Gemm
{
    // The blocked algorithm (Goto and van de Geijn, as in BLIS). C is computed in TileRows × (2 vectors) tiles held in
    // registers by the micro-kernel. For each block of at most DepthBlock steps of k, a block of op(B) is packed into
    // column panels one tile wide, so that the micro-kernel reads B as one contiguous stream that stays in L1; op(A)
    // is read in blocks of RowBlock rows, which stay in L2 while every column panel passes over them. Packing is
    // skipped where it costs more than it saves (A unless transposed and wide, B for short C), except for the last,
    // partial tile, which is always packed with zero padding so that the kernels never read past a matrix.

    /// <summary>Rows of the register tile (see <see cref="MicroKernel{T, TVector, TSet}"/>).</summary>
    private const int TileRows = 6;

    /// <summary>Steps of k per block. A B panel of 256 × 16 floats (AVX2) is 16 KiB, at AVX-512's 32 floats 32 KiB;
    /// either fits L1 (48 KiB here) beside the A panel, and 256 steps amortise loading and storing the C tile. k is cut
    /// into equal blocks no larger than this, so that no block is a short remainder.</summary>
    private const int DepthBlock = 256;

    /// <summary>Rows of op(A) per block: 120 × 256 floats = 120 KiB, which stays in L2 while all column panels of
    /// the B block pass over it. A multiple of <see cref="TileRows"/>.</summary>
    private const int RowBlock = 120;

    /// <summary>Columns of op(B) packed at a time: 256 × 1024 floats = 1 MiB, kept in L2/L3 while every row block
    /// of A passes over it. A multiple of every tile width.</summary>
    private const int ColumnBlock = 1024;

    /// <summary>Products below this many floating-point operations (about 25 µs of one core) stay on the calling
    /// thread: measured, two threads break even at 2 MFLOP (waking a pool thread costs about 10 µs) and are 1.35×
    /// faster at 4 MFLOP.</summary>
    private const long ParallelFlops = 3_000_000;

    /// <summary>A stored transposed (k×m) is packed when n exceeds this. Read in place, its row i is a column of the
    /// stored matrix, one cache line per step of k, and the lines are reused only across a few tiles: packing once
    /// per block pays back only when many column panels reuse the packed block. Untransposed A is always read in
    /// place: its rows are contiguous, and measured as fast as packed even at 1024³.</summary>
    private const int PackTransposedAAbove = 64;

    /// <summary>
    /// Untransposed B is read in place, not packed, when C has at most this many rows. Packing costs a pass over B
    /// (as long as the whole product when m = 1, a third of it at m = 20) and pays back through the L1 reuse of each
    /// packed panel by every row tile; a few row tiles still find B's rows in L1 when read in place.
    /// </summary>
    internal const int ReadBInPlaceRows = 24;

    private const int CacheLine = 64;

    /// <summary>The matrices as raw pointers shared by the parallel workers; valid while the caller keeps the spans
    /// pinned.</summary>
    private readonly unsafe struct Operands<T>(bool transposeA, bool transposeB, int m, int n, int k,
        T* a, T* b, T* c, bool accumulate) where T : unmanaged
    {
        public readonly bool TransposeA = transposeA, TransposeB = transposeB, Accumulate = accumulate;
        public readonly int K = k;
        public readonly T* A = a, B = b, C = c;

        /// <summary>Row strides of the matrices as stored.</summary>
        public readonly nint StrideA = transposeA ? m : k, StrideB = transposeB ? k : n, StrideC = n;

        /// <summary>Whether to copy A into tile-ordered panels rather than read it where it lies.</summary>
        public readonly bool PackA = transposeA && n > PackTransposedAAbove;
    }

    /// <summary>The vectorised path for float and double; arguments are validated and non-empty.</summary>
    private static unsafe void MultiplyBlocked<T, TVector, TSet>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate, bool parallel)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        fixed (T* aPointer = a, bPointer = b, cPointer = c)
        {
            var operands = new Operands<T>(transposeA, transposeB, m, n, k, aPointer, bPointer, cPointer, accumulate);
            int workers = !parallel || 2L * m * n * k < ParallelFlops ? 1 : Environment.ProcessorCount;

            // Split C along its longer side. Rows: B is packed once per block, shared, and blocks of rows are handed
            // out one at a time, so a slower core takes fewer: the cores here often run at different speeds (measured:
            // one at two thirds of the other's rate for seconds at a time), and an even split waits for the slower.
            // Columns (short, wide products): one stripe of whole tiles per core, each packing its own part of B.
            // (Four stripes per core were tried there: LR's store-bound (600, 784, 10) fell from 62 to 45 GFLOP/s.)
            bool splitRows = m >= n;
            int tile = splitRows ? TileRows : 2 * TSet.Lanes;
            int tiles = ((splitRows ? m : n) + tile - 1) / tile;
            int stripes = Math.Min(workers, tiles);
            if (stripes == 1) MultiplyRegion<T, TVector, TSet>(operands, 0, m, 0, n);
            else if (splitRows && m > ReadBInPlaceRows) MultiplySharingB<T, TVector, TSet>(operands, m, n, workers);
            else MultiplyStripes<T, TVector, TSet>(operands, m, n, splitRows, tile, tiles, stripes);
        }
    }

    /// <summary>Packing items per core for a shared block of B.</summary>
    private const int ItemsPerWorker = 4;

    /// <summary>Rows of C per item when B is shared: eight tiles.</summary>
    private const int SharedRows = 8 * TileRows;

    /// <summary>
    /// C by blocks of <see cref="SharedRows"/> rows handed out to the cores, B packed once per (column block, depth
    /// block) into the calling thread's buffer, in parallel by panels, and read by all: each core packs only its A.
    /// </summary>
    private static unsafe void MultiplySharingB<T, TVector, TSet>(Operands<T> x, int m, int n, int workers)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        int lanes = TSet.Lanes, tileColumns = 2 * lanes;
        int depthBlocks = (x.K + DepthBlock - 1) / DepthBlock;
        int maxDepth = (x.K + depthBlocks - 1) / depthBlocks;
        int maxColumns = Math.Min(ColumnBlock, RoundUp(n, tileColumns));
        int rowBlocks = (m + SharedRows - 1) / SharedRows;
        fixed (T* buffer = SharedPackingBuffer<T>(maxDepth * maxColumns + CacheLine / sizeof(T)))
        {
            T* packedB = (T*)(((nint)buffer + CacheLine - 1) & -CacheLine);
            for (int j0 = 0; j0 < n; j0 += ColumnBlock)
            {
                int width = Math.Min(ColumnBlock, n - j0);
                int panels = (width + tileColumns - 1) / tileColumns;
                for (int block = 0; block < depthBlocks; block++)
                {
                    int p0 = (int)((long)x.K * block / depthBlocks);
                    int depth = (int)((long)x.K * (block + 1) / depthBlocks) - p0;
                    WorkerPool.For(Math.Min(panels, ItemsPerWorker * workers),
                        new SharedPacking<T>(x, p0, depth, j0, width, lanes, packedB, panels, Math.Min(panels, ItemsPerWorker * workers)));
                    WorkerPool.For(rowBlocks, new SharedRowBlocks<T, TVector, TSet>(x, packedB, m, j0, width, p0, depth,
                        maxDepth, overwrite: block == 0 && !x.Accumulate));
                }
            }
        }
    }

    /// <summary>Part <c>index</c> of B's panels, packed into the shared buffer where the whole block's packing would
    /// put them.</summary>
    private readonly unsafe struct SharedPacking<T>(Operands<T> x, int p0, int depth, int j0, int width, int lanes,
        T* packedB, int panels, int parts) : IParallelBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int index)
        {
            (int first, int end) = WorkerPool.Part(panels, parts, index);
            int column = first * 2 * lanes;
            PackB<T>(x, p0, depth, j0 + column, Math.Min(end * 2 * lanes, width) - column, lanes, packedB + column * depth);
        }
    }

    /// <summary>Rows [index·SharedRows, …) of C against the shared packed block of B.</summary>
    private readonly unsafe struct SharedRowBlocks<T, TVector, TSet>(Operands<T> x, T* packedB, int m, int j0, int width,
        int p0, int depth, int maxDepth, bool overwrite) : IParallelBody
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        public void Run(int index)
        {
            int i0 = index * SharedRows, height = Math.Min(SharedRows, m - i0);
            fixed (T* buffer = PackingBuffer<T>(maxDepth * SharedRows))
                MultiplyRowBlock<T, TVector, TSet>(x, i0, height, j0, width, p0, depth, packedB, packB: true, buffer, overwrite);
        }
    }

    /// <summary>Computes C in <paramref name="stripes"/> stripes of whole tiles, one per worker item.</summary>
    private static void MultiplyStripes<T, TVector, TSet>(Operands<T> operands, int m, int n, bool splitRows, int tile,
        int tiles, int stripes)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector> =>
        WorkerPool.For(stripes, new Stripes<T, TVector, TSet>(operands, m, n, splitRows, tile, tiles, stripes));

    /// <summary>Stripe i of C: tiles [tiles·i/stripes, tiles·(i + 1)/stripes) along the split side.</summary>
    private readonly struct Stripes<T, TVector, TSet>(Operands<T> operands, int m, int n, bool splitRows, int tile,
        int tiles, int stripes) : IParallelBody
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        public void Run(int stripe)
        {
            int start = (int)((long)tiles * stripe / stripes) * tile;
            int end = (int)Math.Min((long)tiles * (stripe + 1) / stripes * tile, splitRows ? m : n);
            if (splitRows) MultiplyRegion<T, TVector, TSet>(operands, start, end, 0, n);
            else MultiplyRegion<T, TVector, TSet>(operands, 0, m, start, end);
        }
    }

    /// <summary>Computes C's rows [rowStart, rowEnd) × columns [columnStart, columnEnd) on the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyRegion<T, TVector, TSet>(in Operands<T> x, int rowStart, int rowEnd,
        int columnStart, int columnEnd)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        int lanes = TSet.Lanes, tileColumns = 2 * lanes;
        int depthBlocks = (x.K + DepthBlock - 1) / DepthBlock;
        int maxDepth = (x.K + depthBlocks - 1) / depthBlocks;
        int maxColumns = Math.Min(ColumnBlock, RoundUp(columnEnd - columnStart, tileColumns));
        // Unpacked, A's buffer only holds the zero-padded last panel when m is not a multiple of TileRows.
        int maxRows = x.PackA ? Math.Min(RowBlock, RoundUp(rowEnd - rowStart, TileRows)) : TileRows;
        bool packB = x.TransposeB || rowEnd - rowStart > ReadBInPlaceRows;

        fixed (T* buffer = PackingBuffer<T>(maxDepth * (maxColumns + maxRows) + CacheLine / sizeof(T)))
        {
            // Panels start on a cache line, so that no vector load of B straddles two lines.
            T* packedB = (T*)(((nint)buffer + CacheLine - 1) & -CacheLine);
            T* packedA = packedB + maxDepth * maxColumns;
            for (int j0 = columnStart; j0 < columnEnd; j0 += ColumnBlock)
            {
                int width = Math.Min(ColumnBlock, columnEnd - j0);
                for (int block = 0; block < depthBlocks; block++)
                {
                    int p0 = (int)((long)x.K * block / depthBlocks);
                    int depth = (int)((long)x.K * (block + 1) / depthBlocks) - p0;
                    // Only a last partial panel needs packing when B is read in place.
                    int packedFrom = packB ? 0 : width - width % tileColumns;
                    PackB<T>(x, p0, depth, j0 + packedFrom, width - packedFrom, lanes, packedB + packedFrom * depth);
                    bool overwrite = block == 0 && !x.Accumulate;

                    for (int i0 = rowStart; i0 < rowEnd; i0 += RowBlock)
                        MultiplyRowBlock<T, TVector, TSet>(x, i0, Math.Min(RowBlock, rowEnd - i0), j0, width, p0, depth,
                            packedB, packB, packedA, overwrite);
                }
            }
        }
    }

    /// <summary>C's rows [i0, i0 + height) × columns [j0, j0 + width) (+)= op(A)'s block × the block of B packed
    /// at <paramref name="packedB"/> (only its last partial panel, unless <paramref name="packB"/>), over the depth
    /// block [p0, p0 + depth); <paramref name="packedA"/> is this thread's room for A's panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyRowBlock<T, TVector, TSet>(in Operands<T> x, int i0, int height, int j0, int width,
        int p0, int depth, T* packedB, bool packB, T* packedA, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        int lanes = TSet.Lanes, tileColumns = 2 * lanes;
        int fullRows = height - height % TileRows;
        // A last partial tile of A read in place moves up to end at the last row, so that it reads only rows of A
        // (computing again, but not storing, a few rows of the tile above: the same arithmetic, so the same values);
        // A is packed with zero rows only when the whole matrix is shorter than a tile.
        bool moveUp = !x.PackA && i0 + height >= TileRows;
        if (x.PackA) PackA(x, i0, height, p0, depth, packedA);
        else if (fullRows < height && !moveUp) PackA(x, i0 + fullRows, height - fullRows, p0, depth, packedA);

        for (int jr = 0; jr < width; jr += tileColumns)
        {
            int columns = Math.Min(tileColumns, width - jr);
            bool inPlace = !packB && columns == tileColumns;
            T* bPanel = inPlace ? x.B + p0 * x.StrideB + j0 + jr : packedB + jr * depth;
            nint bStep = inPlace ? x.StrideB : columns > lanes ? tileColumns : lanes;
            for (int ir = 0; ir < height; ir += TileRows)
            {
                int rows = Math.Min(TileRows, height - ir);
                // The A panel, element (r, p) at aPanel[r·aRowStride + p·aStep]: packed, or in place.
                T* aPanel = packedA + (x.PackA ? ir * depth : 0);
                nint aRowStride = 1, aStep = TileRows;
                int top = i0 + ir, firstRow = 0;
                if (!x.PackA && (rows == TileRows || moveUp))
                {
                    // Op(A)'s row `top` in place: a column of the stored Aᵀ, or a row of A.
                    firstRow = TileRows - rows;
                    top -= firstRow;
                    rows = TileRows;
                    aPanel = x.TransposeA ? x.A + p0 * x.StrideA + top : x.A + top * x.StrideA + p0;
                    aRowStride = x.TransposeA ? 1 : x.StrideA;
                    aStep = x.TransposeA ? x.StrideA : 1;
                }
                T* cTile = x.C + top * x.StrideC + j0 + jr;

                if (columns > lanes)
                    MicroKernel<T, TVector, TSet>(depth, aPanel, aRowStride, aStep, bPanel, bStep, cTile, x.StrideC, firstRow, rows, columns, overwrite);
                else
                    NarrowMicroKernel<T, TVector, TSet>(depth, aPanel, aRowStride, aStep, bPanel, bStep, cTile, x.StrideC, firstRow, rows, columns, overwrite);
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>This thread's packing scratch, grown on demand and then reused by every later call.</summary>
    private static T[] PackingBuffer<T>(int length)
    {
        T[]? buffer = PackingBuffers<T>.Buffer;
        if (buffer is null || buffer.Length < length)
            PackingBuffers<T>.Buffer = buffer = GC.AllocateUninitializedArray<T>(length);
        return buffer;
    }

    private static class PackingBuffers<T>
    {
        [ThreadStatic] public static T[]? Buffer;
    }

    /// <summary>This thread's buffer for a block of B that other threads read (<see cref="MultiplySharingB"/>),
    /// apart from its own packing scratch, which it uses as a worker meanwhile.</summary>
    private static T[] SharedPackingBuffer<T>(int length)
    {
        T[]? buffer = SharedPackingBuffers<T>.Buffer;
        if (buffer is null || buffer.Length < length)
            SharedPackingBuffers<T>.Buffer = buffer = GC.AllocateUninitializedArray<T>(length, pinned: true);
        return buffer;
    }

    private static class SharedPackingBuffers<T>
    {
        [ThreadStatic] public static T[]? Buffer;
    }

    /// <summary>
    /// Copies op(B)'s rows [p0, p0 + depth) × columns [j0, j0 + width) into column panels 2·lanes wide: panel q starts
    /// at q·2·lanes·depth and holds its row p contiguously at p·(panel width). A last panel of at most
    /// <paramref name="lanes"/> columns is packed one vector wide, for the narrow kernel. Columns past the end are
    /// zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB<T>(in Operands<T> x, int p0, int depth, int j0, int width, int lanes, T* packed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int jr = 0; jr < width; jr += 2 * lanes, packed += 2 * lanes * depth)
        {
            int columns = Math.Min(2 * lanes, width - jr);
            int panelWidth = columns > lanes ? 2 * lanes : lanes;
            if (x.TransposeB) PackTransposedPanel(x.B + (j0 + jr) * x.StrideB + p0, x.StrideB, columns, depth, packed, panelWidth);
            else PackPanel(x.B + p0 * x.StrideB + j0 + jr, x.StrideB, columns, depth, packed, panelWidth);
        }
    }

    /// <summary>Packs <paramref name="depth"/> rows of <paramref name="columns"/> contiguous elements (row stride
    /// <paramref name="stride"/>) into rows of <paramref name="panelWidth"/>, zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackPanel<T>(T* source, nint stride, int columns, int depth, T* packed, int panelWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Copied in 256-bit pieces, masked past the last column: AVX2 is there on both vector paths.
        int lanes = Vector256<T>.Count;
        for (int p = 0; p < depth; p++, source += stride, packed += panelWidth)
        {
            for (int jj = 0; jj < panelWidth; jj += lanes)
            {
                if (jj + lanes <= columns) Vector256.Load(source + jj).Store(packed + jj);
                else Avx2Vectors<T>.LoadFirst(source + jj, columns - jj).Store(packed + jj);
            }
        }
    }

    /// <summary>Packs the transpose of <paramref name="columns"/> rows of <paramref name="depth"/> contiguous elements
    /// (row stride <paramref name="stride"/>): element (j, p) goes to <c>packed[p·panelWidth + j]</c>; zero past the
    /// last column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackTransposedPanel<T>(T* source, nint stride, int columns, int depth, T* packed,
        int panelWidth) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Square blocks of one AVX register per row (8 floats, 4 doubles), transposed in registers; scalar at the
        // edges. Element by element, each store would go to a different cache line.
        // A last block of fewer rows is transposed with zero rows below them, which also writes the padding next to
        // it; whole blocks past the last column are cleared a vector at a time.
        int block = Vector256<T>.Count;
        int j = 0;
        for (; j < columns; j += block)
        {
            T* rows = source + j * stride;
            int present = Math.Min(block, columns - j);
            int p = 0;
            for (; p + block <= depth; p += block)
                TransposeBlock(rows + p, stride, packed + p * panelWidth + j, panelWidth, present);
            for (; p < depth; p++)
                for (int q = 0; q < block; q++) packed[p * panelWidth + j + q] = q < present ? rows[q * stride + p] : T.Zero;
        }
        for (; j < panelWidth; j += block)
            for (int p = 0; p < depth; p++) Vector256<T>.Zero.Store(packed + p * panelWidth + j);
    }

    /// <summary>Transposes a square block of Vector256&lt;T&gt;.Count rows (8×8 floats or 4×4 doubles): row q at
    /// <c>source + q·sourceStride</c> becomes column q of the rows at <c>target + s·targetStride</c>. Only the first
    /// <paramref name="rows"/> rows are read; the others count as zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TransposeBlock<T>(T* source, nint sourceStride, T* target, nint targetStride, int rows)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float* s = (float*)source, t = (float*)target;
            Vector256<float> r0 = Vector256.Load(s), r1 = RowOrZero(s, sourceStride, 1, rows);
            Vector256<float> r2 = RowOrZero(s, sourceStride, 2, rows), r3 = RowOrZero(s, sourceStride, 3, rows);
            Vector256<float> r4 = RowOrZero(s, sourceStride, 4, rows), r5 = RowOrZero(s, sourceStride, 5, rows);
            Vector256<float> r6 = RowOrZero(s, sourceStride, 6, rows), r7 = RowOrZero(s, sourceStride, 7, rows);
            TransposeAndStore(r0, r1, r2, r3, r4, r5, r6, r7, t, targetStride);
        }
        else
        {
            double* s = (double*)source, t = (double*)target;
            Vector256<double> r0 = Vector256.Load(s), r1 = RowOrZero(s, sourceStride, 1, rows);
            Vector256<double> r2 = RowOrZero(s, sourceStride, 2, rows), r3 = RowOrZero(s, sourceStride, 3, rows);
            Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<double> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Avx.Permute2x128(t0, t2, 0x20).Store(t);
            Avx.Permute2x128(t1, t3, 0x20).Store(t + targetStride);
            Avx.Permute2x128(t0, t2, 0x31).Store(t + 2 * targetStride);
            Avx.Permute2x128(t1, t3, 0x31).Store(t + 3 * targetStride);
        }
    }

    /// <summary>Stores the transpose of the 8×8 float block whose rows are <paramref name="r0"/>…<paramref name="r7"/>:
    /// row q becomes column q of the 8 rows at <c>t + s·targetStride</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void TransposeAndStore(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2,
        Vector256<float> r3, Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7,
        float* t, nint targetStride)
    {
        // Interleave pairs of rows, then pairs of pairs: each 128-bit half then holds 4 elements of one column.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        // Join the halves: rows 0–3 of column s from u, rows 4–7 from the matching u of rows 4–7.
        Avx.Permute2x128(u0, u4, 0x20).Store(t);
        Avx.Permute2x128(u1, u5, 0x20).Store(t + targetStride);
        Avx.Permute2x128(u2, u6, 0x20).Store(t + 2 * targetStride);
        Avx.Permute2x128(u3, u7, 0x20).Store(t + 3 * targetStride);
        Avx.Permute2x128(u0, u4, 0x31).Store(t + 4 * targetStride);
        Avx.Permute2x128(u1, u5, 0x31).Store(t + 5 * targetStride);
        Avx.Permute2x128(u2, u6, 0x31).Store(t + 6 * targetStride);
        Avx.Permute2x128(u3, u7, 0x31).Store(t + 7 * targetStride);
    }

    /// <summary>Row <paramref name="row"/> of a block, or zero when the block has no such row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<T> RowOrZero<T>(T* source, nint stride, int row, int rows) where T : unmanaged =>
        row < rows ? Vector256.Load(source + row * stride) : Vector256<T>.Zero;

    /// <summary>Copies TileRows (six) contiguous elements: one 16- or 32-byte vector of four and two scalars.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopySix<T>(T* source, T* target) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Vector128.Load((float*)source).Store((float*)target);
        else Vector256.Load((double*)source).Store((double*)target);
        target[4] = source[4];
        target[5] = source[5];
    }

    /// <summary>
    /// Copies op(A)'s rows [i0, i0 + height) × columns [p0, p0 + depth) into row panels TileRows high: panel q starts
    /// at q·TileRows·depth and holds the panel's column p contiguously at p·TileRows. Rows past the end are zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA<T>(in Operands<T> x, int i0, int height, int p0, int depth, T* packed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.TransposeA)
        {
            // Op(A)'s column p is a contiguous piece of the stored Aᵀ's row p: read it once, handing each panel its
            // TileRows elements, so that every cache line of A is loaded once per block.
            T* source = x.A + p0 * x.StrideA + i0;
            for (int p = 0; p < depth; p++, source += x.StrideA)
            {
                int ir = 0;
                for (; ir + TileRows <= height; ir += TileRows) CopySix(source + ir, packed + ir * depth + p * TileRows);
                if (ir < height)
                {
                    T* target = packed + ir * depth + p * TileRows;
                    for (int r = 0; r < TileRows; r++) target[r] = ir + r < height ? source[ir + r] : T.Zero;
                }
            }
            return;
        }

        for (int ir = 0; ir < height; ir += TileRows, packed += TileRows * depth)
        {
            int rows = Math.Min(TileRows, height - ir);
            for (int r = 0; r < rows; r++)
            {
                T* source = x.A + (i0 + ir + r) * x.StrideA + p0;
                for (int p = 0; p < depth; p++) packed[p * TileRows + r] = source[p];
            }
            for (int r = rows; r < TileRows; r++)
                for (int p = 0; p < depth; p++) packed[p * TileRows + r] = T.Zero;
        }
    }
}
