using System.Diagnostics;
using Dsl.Sampling;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Tests.Sampling;

/// <summary>
/// Philox4x32-10 against the published known answers, the uniform stream's definition, its statistics, and the same
/// numbers from an ILGPU kernel.
/// </summary>
public sealed class PhiloxTests(ITestOutputHelper output)
{
    /// <summary>Counter (4 words), key (2 words), expected block (4 words): the philox4x32 10 rows of Random123's
    /// known-answer tests (kat_vectors), D. E. Shaw Research.</summary>
    public static TheoryData<uint[], uint[], uint[]> KnownAnswers => new()
    {
        { [0x00000000, 0x00000000, 0x00000000, 0x00000000], [0x00000000, 0x00000000], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
        { [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd] },
        { [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1] },
    };

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void Generate_matches_the_known_answers(uint[] counter, uint[] key, uint[] expected)
    {
        Philox.Generate(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out uint x0, out uint x1, out uint x2, out uint x3);
        Assert.Equal(expected, new[] { x0, x1, x2, x3 });
    }

    [Fact]
    public void Uniform_is_the_defined_word_of_the_defined_block()
    {
        const ulong seed = 0x0123456789ABCDEF;
        for (uint index = 0; index < 64; index += 5)
        {
            Philox.Generate(index / 4, 7, 3, 0, 0x89ABCDEF, 0x01234567, out uint x0, out uint x1, out uint x2, out uint x3);
            uint word = new[] { x0, x1, x2, x3 }[index % 4];
            Assert.Equal((word >> 8) / 16777216f, Philox.Uniform(seed, 3, 7, index));
        }
        // The extremes of the mapping: 0 stays 0, the largest word stays below 1.
        Assert.Equal(0f, Philox.ToUnit(0xFF));
        Assert.Equal(1f - 1f / 16777216f, Philox.ToUnit(uint.MaxValue));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(1001)]
    public void FillUniform_equals_Uniform_element_wise(int length)
    {
        var values = new float[length];
        Philox.FillUniform(values, 42, 1, 9);
        for (int i = 0; i < length; i++) Assert.Equal(Philox.Uniform(42, 1, 9, (uint)i), values[i]);

        // Windows starting inside a block, of odd lengths, as Rbm.Sample draws them.
        foreach (uint first in new uint[] { 1, 2, 3, 6, 4001 })
        {
            var window = new float[length];
            Philox.FillUniform(window, 42, 1, 9, first);
            for (int i = 0; i < length; i++) Assert.Equal(Philox.Uniform(42, 1, 9, first + (uint)i), window[i]);
        }
    }

    [Fact]
    public void FillUniform_stops_at_the_end_of_the_stream()
    {
        var last = new float[3];
        Philox.FillUniform(last, 5, 0, 0, uint.MaxValue - 2);
        Assert.Equal(Philox.Uniform(5, 0, 0, uint.MaxValue), last[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Philox.FillUniform(new float[4], 5, 0, 0, uint.MaxValue - 2));
    }

    [Fact]
    public void A_million_draws_look_uniform()
    {
        const int n = 1_000_000, bins = 100;
        var values = new float[n];
        Philox.FillUniform(values, 2024, 1, 0);
        var watch = Stopwatch.StartNew(); // a rough figure for the log, not a benchmark
        Philox.FillUniform(values, 2024, 0, 0);
        watch.Stop();
        output.WriteLine($"FillUniform: {n} values in {watch.Elapsed.TotalMilliseconds:F2} ms ({watch.Elapsed.TotalNanoseconds / n:F2} ns each)");

        double sum = 0;
        var histogram = new int[bins];
        foreach (float v in values)
        {
            Assert.InRange(v, 0f, 1f - 1f / 16777216f);
            sum += v;
            histogram[(int)(v * bins)]++;
        }
        // The mean of n uniforms has standard deviation 1/√(12n) ≈ 2.9·10⁻⁴: allow 5 of them.
        Assert.InRange(sum / n, 0.5 - 5 * 2.9e-4, 0.5 + 5 * 2.9e-4);
        double expected = (double)n / bins, chiSquare = histogram.Sum(c => (c - expected) * (c - expected) / expected);
        // χ² with 99 degrees of freedom: mean 99, standard deviation 14; P(χ² > 160) ≈ 10⁻⁴, P(χ² < 50) ≈ 10⁻⁵.
        output.WriteLine($"χ² over {bins} bins: {chiSquare:F1}");
        Assert.InRange(chiSquare, 50, 160);
    }

    [Fact]
    public void Seed_stream_and_step_each_change_the_sequence()
    {
        float[] Draw(ulong seed, uint stream, uint step)
        {
            var values = new float[64];
            Philox.FillUniform(values, seed, stream, step);
            return values;
        }
        float[] reference = Draw(1, 2, 3);
        Assert.Equal(reference, Draw(1, 2, 3)); // a pure function
        foreach (float[] other in new[] { Draw(2, 2, 3), Draw(1 | (1UL << 32), 2, 3), Draw(1, 3, 3), Draw(1, 2, 4) })
        {
            int same = reference.Zip(other).Count(p => p.First == p.Second);
            Assert.True(same <= 1, $"{same} of 64 values coincide"); // 24-bit values: a coincidence has chance 64·2⁻²⁴
        }
    }

    private static void UniformKernel(Index1D index, ArrayView<float> values, ulong seed, uint stream, uint step) =>
        values[index] = Philox.Uniform(seed, stream, step, (uint)index.X);

    private static void GenerateKernel(Index1D index, ArrayView<uint> words, uint key)
    {
        Philox.Generate((uint)index.X, 1, 2, 3, key, ~key, out uint x0, out uint x1, out uint x2, out uint x3);
        words[index * 4] = x0;
        words[index * 4 + 1] = x1;
        words[index * 4 + 2] = x2;
        words[index * 4 + 3] = x3;
    }

    [Fact]
    public void An_ilgpu_kernel_draws_the_same_numbers()
    {
        using var device = ComputeDevice.Open(DeviceKind.IlgpuCpu);
        Accelerator accelerator = device.Accelerator!;
        var uniform = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ulong, uint, uint>(UniformKernel);
        var generate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<uint>, uint>(GenerateKernel);
        const int n = 203;
        const ulong seed = 0xFEEDFACECAFEBEEF;
        using var values = accelerator.Allocate1D<float>(n);
        using var words = accelerator.Allocate1D<uint>(4 * 16);
        uniform(n, values.View, seed, 11, 12);
        generate(16, words.View, 0xA5A5A5A5);
        accelerator.Synchronize();

        var expected = new float[n];
        Philox.FillUniform(expected, seed, 11, 12);
        Assert.Equal(expected, values.GetAsArray1D());
        uint[] gpuWords = words.GetAsArray1D();
        for (uint i = 0; i < 16; i++)
        {
            Philox.Generate(i, 1, 2, 3, 0xA5A5A5A5, ~0xA5A5A5A5u, out uint x0, out uint x1, out uint x2, out uint x3);
            Assert.Equal(new[] { x0, x1, x2, x3 }, gpuWords[(int)(4 * i)..(int)(4 * i + 4)]);
        }
    }

    /// <summary>The CPU accelerator runs kernels as .NET code; this puts Uniform through ILGPU's compiler (to PTX, no
    /// GPU needed), 64-bit products, out parameters and all.</summary>
    [Fact]
    public void Uniform_compiles_to_ptx() => KernelChecks.AssertCompilesToPtx(
        typeof(PhiloxTests).GetMethod(nameof(UniformKernel), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!);
}
