using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dsl.Sampling;

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as
/// 1, 2, 3" (SC 2011): a keyed bijection of a 128-bit counter, so the n-th random number is a pure function of
/// (key, n) and any thread of a GPU or CPU can draw its own without shared state. Written from the paper's
/// description; the known-answer tests of the authors' Random123 library check it.
/// </summary>
/// <remarks>
/// <para>One round maps (x0, x1, x2, x3) with key (k0, k1) to
/// (hi(M1·x2) ⊕ x1 ⊕ k0, lo(M1·x2), hi(M0·x0) ⊕ x3 ⊕ k1, lo(M0·x0)), where hi/lo are the halves of the 64-bit product.
/// Ten rounds; between rounds the key is bumped by the Weyl constants (W0, W1).</para>
/// <para>The stream of uniforms used by the layers: word (i mod 4) of the block at counter
/// (⌊i/4⌋, step, stream, 0) under the key (low, high half of the seed). A training run keeps one seed, gives each
/// purpose a stream number and each draw a step number, so no two draws share a counter.</para>
/// <para>Everything here but <see cref="FillUniform(Span{float}, ulong, uint, uint)"/> is plain arithmetic on
/// locals, which ILGPU compiles into kernels.</para>
/// </remarks>
public static class Philox
{
    // The multipliers and the key schedule's Weyl increments of Philox4x32 (from the paper).
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>2⁻²⁴: the spacing of the 24-bit uniforms, all exactly representable as float.</summary>
    private const float UnitScale = 1f / 16777216f;

    /// <summary>The Philox4x32-10 block of counter (c0, c1, c2, c3) under key (k0, k1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Generate(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        out uint x0, out uint x1, out uint x2, out uint x3)
    {
        // Unrolled by hand: ten rounds, the key bumped after each of the first nine.
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1); k0 += W0; k1 += W1;
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        x0 = c0; x1 = c1; x2 = c2; x3 = c3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref uint x0, ref uint x1, ref uint x2, ref uint x3, uint k0, uint k1)
    {
        ulong p0 = (ulong)M0 * x0, p1 = (ulong)M1 * x2;
        uint y0 = (uint)(p1 >> 32) ^ x1 ^ k0;
        uint y2 = (uint)(p0 >> 32) ^ x3 ^ k1;
        x1 = (uint)p1;
        x3 = (uint)p0;
        x0 = y0;
        x2 = y2;
    }

    /// <summary>
    /// Blocks <paramref name="block"/> to block + 7 side by side, lane b of each register holding word w of block b,
    /// converted to uniforms and written out in stream order: the same numbers as eight calls of
    /// <see cref="Generate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EightBlocks(Span<float> destination, uint block, uint step, uint stream, uint key0, uint key1)
    {
        Vector256<uint> x0 = Vector256.Create(block) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        Vector256<uint> x1 = Vector256.Create(step), x2 = Vector256.Create(stream), x3 = Vector256<uint>.Zero;
        Vector256<uint> m0 = Vector256.Create(M0), m1 = Vector256.Create(M1);
        uint k0 = key0, k1 = key1;
        for (int round = 0; round < 10; round++)
        {
            Vector256<uint> hi0 = MultiplyHigh(x0, m0), lo0 = x0 * m0;
            Vector256<uint> hi1 = MultiplyHigh(x2, m1), lo1 = x2 * m1;
            x0 = hi1 ^ x1 ^ Vector256.Create(k0);
            x1 = lo1;
            x2 = hi0 ^ x3 ^ Vector256.Create(k1);
            x3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        // To uniforms, then interleaved: destination[4b + w] = word w of block b.
        Vector256<float> scale = Vector256.Create(UnitScale);
        Span<float> words = stackalloc float[32];
        (Vector256.ConvertToSingle(Vector256.ShiftRightLogical(x0, 8).AsInt32()) * scale).CopyTo(words);
        (Vector256.ConvertToSingle(Vector256.ShiftRightLogical(x1, 8).AsInt32()) * scale).CopyTo(words[8..]);
        (Vector256.ConvertToSingle(Vector256.ShiftRightLogical(x2, 8).AsInt32()) * scale).CopyTo(words[16..]);
        (Vector256.ConvertToSingle(Vector256.ShiftRightLogical(x3, 8).AsInt32()) * scale).CopyTo(words[24..]);
        for (int b = 0; b < 8; b++)
        {
            destination[4 * b] = words[b];
            destination[4 * b + 1] = words[8 + b];
            destination[4 * b + 2] = words[16 + b];
            destination[4 * b + 3] = words[24 + b];
        }
    }

    /// <summary>The high halves of the eight 32×32-bit products: two widening multiplies (even, odd lanes), merged.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> MultiplyHigh(Vector256<uint> x, Vector256<uint> m)
    {
        Vector256<ulong> even = Avx2.Multiply(x, m);
        Vector256<ulong> odd = Avx2.Multiply(Avx2.ShiftRightLogical(x.AsUInt64(), 32).AsUInt32(), m);
        // Even lanes' high halves moved down into the even positions; odd lanes' already sit in the odd positions.
        return Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsUInt32(), odd.AsUInt32(), 0b1010_1010);
    }

    /// <summary>A 32-bit word as a uniform in [0, 1): its top 24 bits times 2⁻²⁴ (exact in float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUnit(uint word) => (word >> 8) * UnitScale;

    /// <summary>
    /// Uniform number <paramref name="index"/> in [0, 1) of the stream (<paramref name="seed"/>, <paramref name="stream"/>,
    /// <paramref name="step"/>): word (index mod 4) of the block at counter (index / 4, step, stream, 0), key
    /// (low, high 32 bits of the seed), mapped by <see cref="ToUnit"/>. Callable from ILGPU kernels.
    /// </summary>
    public static float Uniform(ulong seed, uint stream, uint step, uint index)
    {
        Generate(index >> 2, step, stream, 0, (uint)seed, (uint)(seed >> 32), out uint x0, out uint x1, out uint x2, out uint x3);
        uint lane = index & 3;
        uint word = lane == 0 ? x0 : lane == 1 ? x1 : lane == 2 ? x2 : x3;
        return ToUnit(word);
    }

    /// <summary>destination[i] = <see cref="Uniform"/>(seed, stream, step, i), one block per four outputs.</summary>
    public static void FillUniform(Span<float> destination, ulong seed, uint stream, uint step) =>
        FillUniform(destination, seed, stream, step, 0);

    /// <summary>
    /// destination[i] = <see cref="Uniform"/>(seed, stream, step, <paramref name="firstIndex"/> + i): a window of the
    /// stream, so that a long stream can be drawn in pieces (a partial block at either end is computed once too).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The window runs past index 2³² − 1, where the stream ends.</exception>
    /// <remarks>Compiled optimised from the first call: one call can fill millions of values.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FillUniform(Span<float> destination, ulong seed, uint stream, uint step, uint firstIndex)
    {
        if ((ulong)firstIndex + (ulong)destination.Length > 1UL << 32)
            throw new ArgumentOutOfRangeException(nameof(firstIndex), firstIndex,
                $"A stream holds 2³² numbers; {destination.Length} from index {firstIndex} run past its end.");
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        int i = 0;
        // A leading partial block.
        if ((firstIndex & 3) != 0 && destination.Length > 0)
        {
            Generate(firstIndex >> 2, step, stream, 0, k0, k1, out uint x0, out uint x1, out uint x2, out uint x3);
            for (uint lane = firstIndex & 3; lane < 4 && i < destination.Length; lane++, i++)
                destination[i] = ToUnit(lane == 1 ? x1 : lane == 2 ? x2 : x3);
        }
        // Whole blocks: eight at a time in AVX2 registers where there is AVX2, then one at a time.
        uint block = (uint)(((ulong)firstIndex + (ulong)i) >> 2);
        if (Avx2.IsSupported)
        {
            for (; i <= destination.Length - 32; i += 32, block += 8)
                EightBlocks(destination.Slice(i, 32), block, step, stream, k0, k1);
        }
        for (; i <= destination.Length - 4; i += 4, block++)
        {
            Generate(block, step, stream, 0, k0, k1, out uint x0, out uint x1, out uint x2, out uint x3);
            Span<float> d = destination.Slice(i, 4);
            d[3] = ToUnit(x3);
            d[0] = ToUnit(x0);
            d[1] = ToUnit(x1);
            d[2] = ToUnit(x2);
        }
        // A trailing partial block.
        if (i < destination.Length)
        {
            Generate(block, step, stream, 0, k0, k1, out uint x0, out uint x1, out uint x2, out uint _);
            destination[i++] = ToUnit(x0);
            if (i < destination.Length) destination[i++] = ToUnit(x1);
            if (i < destination.Length) destination[i] = ToUnit(x2);
        }
    }
}
