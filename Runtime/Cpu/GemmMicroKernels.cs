using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dsl.Cpu;

public static partial class Gemm
{
    /// <summary>
    /// The vector operations the blocked algorithm needs, at one register width. Implemented by structs, so the JIT
    /// compiles a separate copy of the algorithm for each width with every call inlined: the AVX2 and AVX-512 paths
    /// share one source.
    /// </summary>
    private unsafe interface IVectorSet<T, TVector> where T : unmanaged where TVector : unmanaged
    {
        /// <summary>Elements per vector.</summary>
        static abstract int Lanes { get; }

        static abstract TVector Load(T* source);

        static abstract void Store(T* target, TVector value);

        /// <summary>The first <paramref name="count"/> elements (all when count ≥ Lanes), zero in the other lanes,
        /// whose memory is not touched.</summary>
        static abstract TVector LoadFirst(T* source, int count);

        /// <summary>Stores the first <paramref name="count"/> lanes; memory past them is not touched.</summary>
        static abstract void StoreFirst(T* target, TVector value, int count);

        static abstract TVector Broadcast(T value);

        /// <summary>left·right + addend, rounded once.</summary>
        static abstract TVector MultiplyAdd(TVector left, TVector right, TVector addend);

        static abstract TVector Add(TVector left, TVector right);
    }

    /// <summary>256-bit AVX2 + FMA: 8 floats or 4 doubles per register, 16 registers.</summary>
    private readonly unsafe struct Avx2Vectors<T> : IVectorSet<T, Vector256<T>> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int Lanes => Vector256<T>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Load(T* source) => Vector256.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(T* target, Vector256<T> value) => value.Store(target);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> LoadFirst(T* source, int count)
        {
            Vector256<T> mask = Mask(count);
            if (typeof(T) == typeof(float)) return Avx.MaskLoad((float*)source, mask.AsSingle()).As<float, T>();
            return Avx.MaskLoad((double*)source, mask.AsDouble()).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreFirst(T* target, Vector256<T> value, int count)
        {
            Vector256<T> mask = Mask(count);
            if (typeof(T) == typeof(float)) Avx.MaskStore((float*)target, mask.AsSingle(), value.AsSingle());
            else Avx.MaskStore((double*)target, mask.AsDouble(), value.AsDouble());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> MultiplyAdd(Vector256<T> left, Vector256<T> right, Vector256<T> addend)
        {
            if (typeof(T) == typeof(float))
                return Fma.MultiplyAdd(left.AsSingle(), right.AsSingle(), addend.AsSingle()).As<float, T>();
            return Fma.MultiplyAdd(left.AsDouble(), right.AsDouble(), addend.AsDouble()).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<T> Add(Vector256<T> left, Vector256<T> right) => left + right;

        /// <summary>All-ones in lanes below <paramref name="count"/>, zero in the rest.</summary>
        private static Vector256<T> Mask(int count) =>
            Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(count)));
    }

    /// <summary>512-bit AVX-512F: 16 floats or 8 doubles per register, 32 registers, twice AVX2's FLOPs per
    /// instruction on cores with two 512-bit FMA units.</summary>
    private readonly unsafe struct Avx512Vectors<T> : IVectorSet<T, Vector512<T>> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static int Lanes => Vector512<T>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Load(T* source) => Vector512.Load(source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(T* target, Vector512<T> value) => value.Store(target);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> LoadFirst(T* source, int count)
        {
            Vector512<T> mask = Mask(count);
            if (typeof(T) == typeof(float))
                return Avx512F.MaskLoad((float*)source, mask.AsSingle(), Vector512<float>.Zero).As<float, T>();
            return Avx512F.MaskLoad((double*)source, mask.AsDouble(), Vector512<double>.Zero).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreFirst(T* target, Vector512<T> value, int count)
        {
            Vector512<T> mask = Mask(count);
            if (typeof(T) == typeof(float)) Avx512F.MaskStore((float*)target, mask.AsSingle(), value.AsSingle());
            else Avx512F.MaskStore((double*)target, mask.AsDouble(), value.AsDouble());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> MultiplyAdd(Vector512<T> left, Vector512<T> right, Vector512<T> addend)
        {
            if (typeof(T) == typeof(float))
                return Avx512F.FusedMultiplyAdd(left.AsSingle(), right.AsSingle(), addend.AsSingle()).As<float, T>();
            return Avx512F.FusedMultiplyAdd(left.AsDouble(), right.AsDouble(), addend.AsDouble()).As<double, T>();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<T> Add(Vector512<T> left, Vector512<T> right) => left + right;

        /// <inheritdoc cref="Avx2Vectors{T}.Mask"/>
        private static Vector512<T> Mask(int count) =>
            Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(count)));
    }

    /// <summary>
    /// C's tile (rows [firstRow, rows) × columns, at most TileRows × 2·Lanes) = or += an A panel times a packed B
    /// panel over <paramref name="depth"/> steps of k. A's element (r, p) is at <c>a[r·aRowStride + p·aStep]</c>, which
    /// covers packed panels and both layouts of A read in place; all TileRows rows must be readable, and all are
    /// computed (rows below firstRow belong to the tile above, when a last partial tile is moved up to read A in place).
    /// B's row p is the 2·Lanes elements at <c>b + p·bStep</c>: a packed panel, or B in place.
    /// </summary>
    /// <remarks>
    /// Six rows × two vectors: 12 accumulators + 2 vectors of B + 1 broadcast element of A fill 15 of AVX2's 16
    /// registers, and 12 independent FMAs per step cover the FMA latency (4 cycles) on both FMA ports. AVX-512 keeps
    /// the shape at twice the width: its 32 registers would allow more rows, but measured no faster, and six keeps the
    /// wasted rows of short matrices (m = 20) small.
    /// <para>Every element of C is one FMA chain over p in order, added to C once at the end: the same arithmetic
    /// whichever tile position, kernel variant or thread computes it, so results do not depend on the partitioning.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MicroKernel<T, TVector, TSet>(int depth, T* a, nint aRowStride, nint aStep, T* b,
        nint bStep, T* c, nint cStride, int firstRow, int rows, int columns, bool overwrite)
        where T : unmanaged where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        int lanes = TSet.Lanes;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Rows 0–2 and 3–5 from two base pointers, so that each address is base + {0, 1, 2}·stride: no extra
        // arithmetic per load.
        T* a0 = a, a3 = a + 3 * aRowStride;
        nint aRowStride2 = 2 * aRowStride;
        for (int p = 0; p < depth; p++)
        {
            TVector b0 = TSet.Load(b), b1 = TSet.Load(b + lanes);
            TVector ai = TSet.Broadcast(a0[0]);
            c00 = TSet.MultiplyAdd(ai, b0, c00);
            c01 = TSet.MultiplyAdd(ai, b1, c01);
            ai = TSet.Broadcast(a0[aRowStride]);
            c10 = TSet.MultiplyAdd(ai, b0, c10);
            c11 = TSet.MultiplyAdd(ai, b1, c11);
            ai = TSet.Broadcast(a0[aRowStride2]);
            c20 = TSet.MultiplyAdd(ai, b0, c20);
            c21 = TSet.MultiplyAdd(ai, b1, c21);
            ai = TSet.Broadcast(a3[0]);
            c30 = TSet.MultiplyAdd(ai, b0, c30);
            c31 = TSet.MultiplyAdd(ai, b1, c31);
            ai = TSet.Broadcast(a3[aRowStride]);
            c40 = TSet.MultiplyAdd(ai, b0, c40);
            c41 = TSet.MultiplyAdd(ai, b1, c41);
            ai = TSet.Broadcast(a3[aRowStride2]);
            c50 = TSet.MultiplyAdd(ai, b0, c50);
            c51 = TSet.MultiplyAdd(ai, b1, c51);
            a0 += aStep;
            a3 += aStep;
            b += bStep;
        }

        if (firstRow == 0) UpdateRow<T, TVector, TSet>(c, c00, c01, columns, overwrite);
        if (firstRow <= 1 && rows > 1) UpdateRow<T, TVector, TSet>(c + cStride, c10, c11, columns, overwrite);
        if (firstRow <= 2 && rows > 2) UpdateRow<T, TVector, TSet>(c + 2 * cStride, c20, c21, columns, overwrite);
        if (firstRow <= 3 && rows > 3) UpdateRow<T, TVector, TSet>(c + 3 * cStride, c30, c31, columns, overwrite);
        if (firstRow <= 4 && rows > 4) UpdateRow<T, TVector, TSet>(c + 4 * cStride, c40, c41, columns, overwrite);
        if (rows > 5) UpdateRow<T, TVector, TSet>(c + 5 * cStride, c50, c51, columns, overwrite);
    }

    /// <summary>
    /// <see cref="MicroKernel{T, TVector, TSet}"/> one vector wide, for a last panel of at most Lanes columns
    /// (n = 10 or 50 in the networks), which the full kernel would compute at half or less of its width. B's row p is
    /// the Lanes elements at <c>b + p·bStep</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void NarrowMicroKernel<T, TVector, TSet>(int depth, T* a, nint aRowStride, nint aStep, T* b,
        nint bStep, T* c, nint cStride, int firstRow, int rows, int columns, bool overwrite)
        where T : unmanaged where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        TVector c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        T* a0 = a, a3 = a + 3 * aRowStride;
        nint aRowStride2 = 2 * aRowStride;
        for (int p = 0; p < depth; p++)
        {
            TVector bp = TSet.Load(b);
            c0 = TSet.MultiplyAdd(TSet.Broadcast(a0[0]), bp, c0);
            c1 = TSet.MultiplyAdd(TSet.Broadcast(a0[aRowStride]), bp, c1);
            c2 = TSet.MultiplyAdd(TSet.Broadcast(a0[aRowStride2]), bp, c2);
            c3 = TSet.MultiplyAdd(TSet.Broadcast(a3[0]), bp, c3);
            c4 = TSet.MultiplyAdd(TSet.Broadcast(a3[aRowStride]), bp, c4);
            c5 = TSet.MultiplyAdd(TSet.Broadcast(a3[aRowStride2]), bp, c5);
            a0 += aStep;
            a3 += aStep;
            b += bStep;
        }

        if (firstRow == 0) Update<T, TVector, TSet>(c, c0, columns, overwrite);
        if (firstRow <= 1 && rows > 1) Update<T, TVector, TSet>(c + cStride, c1, columns, overwrite);
        if (firstRow <= 2 && rows > 2) Update<T, TVector, TSet>(c + 2 * cStride, c2, columns, overwrite);
        if (firstRow <= 3 && rows > 3) Update<T, TVector, TSet>(c + 3 * cStride, c3, columns, overwrite);
        if (firstRow <= 4 && rows > 4) Update<T, TVector, TSet>(c + 4 * cStride, c4, columns, overwrite);
        if (rows > 5) Update<T, TVector, TSet>(c + 5 * cStride, c5, columns, overwrite);
    }

    /// <summary>Stores (or adds) one tile row of two vectors into C's first <paramref name="columns"/> elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void UpdateRow<T, TVector, TSet>(T* c, TVector low, TVector high, int columns, bool overwrite)
        where T : unmanaged where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        Update<T, TVector, TSet>(c, low, columns, overwrite);
        if (columns > TSet.Lanes) Update<T, TVector, TSet>(c + TSet.Lanes, high, columns - TSet.Lanes, overwrite);
    }

    /// <summary>Stores (or adds) one vector into C's first <paramref name="columns"/> elements (all lanes when
    /// columns ≥ Lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Update<T, TVector, TSet>(T* c, TVector value, int columns, bool overwrite)
        where T : unmanaged where TVector : unmanaged where TSet : IVectorSet<T, TVector>
    {
        if (columns >= TSet.Lanes)
        {
            TSet.Store(c, overwrite ? value : TSet.Add(value, TSet.Load(c)));
        }
        else
        {
            TSet.StoreFirst(c, overwrite ? value : TSet.Add(value, TSet.LoadFirst(c, columns)), columns);
        }
    }
}
