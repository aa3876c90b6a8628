using Dsl.Cpu;
using Dsl.Layers;
using Dsl.Sampling;
using ILGPU;
using ILGPU.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Tests.Layers;

/// <summary>
/// The binary RBM's runtime: its CD gradient against finite differences of the free energy, against the exact
/// log-likelihood gradient of a tiny RBM by enumeration of every state (exactly, from exact samples, and from long
/// CD-k chains), CD-1 training on a toy data set, sampling, the monitoring costs against plain references, and the
/// ILGPU kernel bodies against the CPU functions.
/// </summary>
public sealed class RbmTests(ITestOutputHelper output)
{
    // ---- Plain double references, written from the definitions ----

    /// <summary>F(v) of one row: −v·vb − Σ_j log(1 + exp(vW + hb)_j).</summary>
    private static double FreeEnergyReference(ReadOnlySpan<double> v, double[] w, double[] vb, double[] hb)
    {
        int visible = vb.Length, hidden = hb.Length;
        double f = 0;
        for (int i = 0; i < visible; i++) f -= v[i] * vb[i];
        for (int j = 0; j < hidden; j++)
        {
            double z = hb[j];
            for (int i = 0; i < visible; i++) z += v[i] * w[i * hidden + j];
            f -= z > 30 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));
        }
        return f;
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static double[] HiddenMeans(double[] v, double[] w, double[] hb, int count, int visible, int hidden)
    {
        var h = new double[count * hidden];
        Dense.Forward<double>(v, w, hb, h, count, visible, hidden, Activation.Sigmoid);
        return h;
    }

    private static double[] Binary(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (double)random.Next(2)).ToArray();

    /// <summary>All 2^visible binary vectors, state s having bit i of s as unit i.</summary>
    private static double[] AllStates(int visible)
    {
        var states = new double[(1 << visible) * visible];
        for (int s = 0; s < 1 << visible; s++)
            for (int i = 0; i < visible; i++) states[s * visible + i] = (s >> i) & 1;
        return states;
    }

    // ---- a. The CD gradient is the gradient of the free-energy difference ----

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradient_matches_finite_differences_of_the_free_energy_difference(bool binary)
    {
        const int count = 5, visible = 7, hidden = 4;
        var random = new Random(binary ? 31 : 37);
        double[] w = TestData.Uniform(random, visible * hidden), vb = TestData.Uniform(random, visible), hb = TestData.Uniform(random, hidden);
        double[] v0 = binary ? Binary(random, count * visible) : TestData.Uniform(random, count * visible, 0, 1);
        double[] vk = binary ? Binary(random, count * visible) : TestData.Uniform(random, count * visible, 0, 1);
        var scratch = new double[count * hidden];
        double Cost() => Rbm.FreeEnergy<double>(v0, w, vb, hb, scratch, count, visible, hidden)
            - Rbm.FreeEnergy<double>(vk, w, vb, hb, scratch, count, visible, hidden);

        var dw = new double[w.Length];
        var dvb = new double[visible];
        var dhb = new double[hidden];
        Rbm.Gradient<double>(v0, HiddenMeans(v0, w, hb, count, visible, hidden), vk, HiddenMeans(vk, w, hb, count, visible, hidden),
            dw, dvb, dhb, count, visible, hidden);

        const double step = 1e-5;
        double worst = 0;
        foreach (var (name, values, gradient) in new[] { ("W", w, dw), ("vb", vb, dvb), ("hb", hb, dhb) })
            for (int i = 0; i < values.Length; i++)
            {
                double numeric = CentralDifference(values, i, step, Cost);
                double error = Math.Abs(numeric - gradient[i]);
                worst = Math.Max(worst, error);
                Assert.True(error <= 1e-8 + 1e-6 * Math.Abs(numeric), $"d{name}[{i}]: Gradient {gradient[i]:E10}, finite differences {numeric:E10}");
            }
        output.WriteLine($"worst |analytic − finite difference|: {worst:E2}");
    }

    /// <summary>The fused update is a plain SGD step down <see cref="Rbm.Gradient{T}"/>: shapes around the vector
    /// widths and the GEMM's tile edges, batch 1 included, in double (to rounding) and in float.</summary>
    [Theory]
    [InlineData(1, 7, 4)]
    [InlineData(3, 17, 33)]
    [InlineData(10, 65, 31)]
    [InlineData(20, 130, 67)]
    public void Update_is_an_sgd_step_down_the_gradient(int count, int visible, int hidden)
    {
        var random = new Random(Randomize.Seed(count, visible, hidden));
        double[] w = TestData.Uniform(random, visible * hidden), vb = TestData.Uniform(random, visible), hb = TestData.Uniform(random, hidden);
        double[] v0 = TestData.Uniform(random, count * visible, 0, 1), vk = Binary(random, count * visible);
        double[] h0 = HiddenMeans(v0, w, hb, count, visible, hidden), hk = HiddenMeans(vk, w, hb, count, visible, hidden);
        const double learningRate = 0.37;
        double[] dw = new double[w.Length], dvb = new double[visible], dhb = new double[hidden];
        Rbm.Gradient<double>(v0, h0, vk, hk, dw, dvb, dhb, count, visible, hidden);
        double[] expectedW = w.Zip(dw, (p, g) => p - learningRate * g).ToArray();
        double[] expectedVb = vb.Zip(dvb, (p, g) => p - learningRate * g).ToArray();
        double[] expectedHb = hb.Zip(dhb, (p, g) => p - learningRate * g).ToArray();

        double[] scratch = new double[Rbm.UpdateScratchLength(count, visible, hidden)];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scratch.AsSpan())); // stale scratch must not matter
        Rbm.Update<double>(v0, h0, vk, hk, w, vb, hb, learningRate, scratch, count, visible, hidden);
        foreach (var (name, expected, actual) in new[] { ("W", expectedW, w), ("vb", expectedVb, vb), ("hb", expectedHb, hb) })
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * (1 + Math.Abs(expected[i])),
                    $"{name}[{i}]: Update {actual[i]:R}, W − η·Gradient {expected[i]:R}");

        // Float: the same within float rounding of the sums.
        float[] wf = TestData.To<float>(expectedW), vbf = TestData.To<float>(expectedVb), hbf = TestData.To<float>(expectedHb);
        float[] expectedWf = (float[])wf.Clone();
        float[] v0f = TestData.To<float>(v0), vkf = TestData.To<float>(vk), h0f = TestData.To<float>(h0), hkf = TestData.To<float>(hk);
        float[] dwf = new float[wf.Length], dvbf = new float[visible], dhbf = new float[hidden];
        Rbm.Gradient<float>(v0f, h0f, vkf, hkf, dwf, dvbf, dhbf, count, visible, hidden);
        for (int i = 0; i < wf.Length; i++) expectedWf[i] -= (float)learningRate * dwf[i];
        Rbm.Update<float>(v0f, h0f, vkf, hkf, wf, vbf, hbf, (float)learningRate, new float[Rbm.UpdateScratchLength(count, visible, hidden)],
            count, visible, hidden);
        for (int i = 0; i < wf.Length; i++)
            Assert.True(Math.Abs(expectedWf[i] - wf[i]) <= 1e-5f * (1 + Math.Abs(expectedWf[i])), $"float W[{i}]: {wf[i]} against {expectedWf[i]}");
    }

    private static double CentralDifference(double[] values, int i, double step, Func<double> cost)
    {
        double saved = values[i];
        values[i] = saved + step;
        double plus = cost();
        values[i] = saved - step;
        double minus = cost();
        values[i] = saved;
        return (plus - minus) / (2 * step);
    }

    [Fact]
    public void FreeEnergy_matches_the_reference_and_the_sum_over_hidden_states()
    {
        const int count = 6, visible = 5, hidden = 3;
        var random = new Random(5);
        // Large weights too: softplus must neither overflow nor lose its small values.
        double[] w = TestData.Uniform(random, visible * hidden, -40, 40), vb = TestData.Uniform(random, visible), hb = TestData.Uniform(random, hidden, -3, 3);
        double[] v = TestData.Uniform(random, count * visible, 0, 1);
        double expected = 0;
        for (int row = 0; row < count; row++) expected += FreeEnergyReference(v.AsSpan(row * visible, visible), w, vb, hb) / count;
        double actual = Rbm.FreeEnergy<double>(v, w, vb, hb, new double[count * hidden], count, visible, hidden);
        Assert.Equal(expected, actual, 1e-10 * Math.Abs(expected));

        // F(v) = −log Σ_h exp(−E(v, h)) by the 2^hidden hidden states, at moderate weights.
        w = TestData.Uniform(random, visible * hidden);
        double[] one = Binary(random, visible);
        double sum = 0;
        for (int h = 0; h < 1 << hidden; h++) sum += Math.Exp(-Energy(one, h, w, vb, hb));
        Assert.Equal(-Math.Log(sum), Rbm.FreeEnergy<double>(one, w, vb, hb, new double[hidden], 1, visible, hidden), 1e-12);
    }

    /// <summary>E(v, h) = −v·vb − h·hb − vᵀWh with h given by the bits of <paramref name="hiddenState"/>.</summary>
    private static double Energy(ReadOnlySpan<double> v, int hiddenState, double[] w, double[] vb, double[] hb)
    {
        int visible = vb.Length, hidden = hb.Length;
        double e = 0;
        for (int i = 0; i < visible; i++) e -= v[i] * vb[i];
        for (int j = 0; j < hidden; j++)
        {
            if (((hiddenState >> j) & 1) == 0) continue;
            e -= hb[j];
            for (int i = 0; i < visible; i++) e -= v[i] * w[i * hidden + j];
        }
        return e;
    }

    // ---- b. Exact enumeration of a tiny RBM ----

    private const int TinyVisible = 4, TinyHidden = 3, TinyData = 6;

    /// <summary>A tiny RBM with random parameters and a small binary data set, and its exact distribution p(v).</summary>
    private sealed class TinyRbm
    {
        public readonly double[] W, Vb, Hb, Data, States = AllStates(TinyVisible);

        public TinyRbm(int seed)
        {
            var random = new Random(seed);
            W = TestData.Uniform(random, TinyVisible * TinyHidden);
            Vb = TestData.Uniform(random, TinyVisible, -0.5, 0.5);
            Hb = TestData.Uniform(random, TinyHidden, -0.5, 0.5);
            Data = Binary(random, TinyData * TinyVisible);
        }

        public int StateCount => 1 << TinyVisible;

        /// <summary>log Z = log Σ_v exp(−F(v)) over the 2^V visible states.</summary>
        public double LogPartition()
        {
            double max = double.NegativeInfinity;
            var negF = new double[StateCount];
            for (int s = 0; s < StateCount; s++) max = Math.Max(max, negF[s] = -FreeEnergyReference(States.AsSpan(s * TinyVisible, TinyVisible), W, Vb, Hb));
            return max + Math.Log(negF.Sum(x => Math.Exp(x - max)));
        }

        /// <summary>log Z by all 2^(V+H) joint states of the energy.</summary>
        public double LogPartitionFromEnergies()
        {
            double sum = 0;
            for (int s = 0; s < StateCount; s++)
                for (int h = 0; h < 1 << TinyHidden; h++) sum += Math.Exp(-Energy(States.AsSpan(s * TinyVisible, TinyVisible), h, W, Vb, Hb));
            return Math.Log(sum);
        }

        /// <summary>The mean log-likelihood of the data: mean of −F(v) − log Z.</summary>
        public double MeanLogLikelihood()
        {
            double logZ = LogPartition(), sum = 0;
            for (int row = 0; row < TinyData; row++) sum -= FreeEnergyReference(Data.AsSpan(row * TinyVisible, TinyVisible), W, Vb, Hb);
            return sum / TinyData - logZ;
        }

        public double[] Probabilities()
        {
            double logZ = LogPartition();
            return Enumerable.Range(0, StateCount)
                .Select(s => Math.Exp(-FreeEnergyReference(States.AsSpan(s * TinyVisible, TinyVisible), W, Vb, Hb) - logZ)).ToArray();
        }

        /// <summary>∇F(v) over (W, vb, hb) flattened: −v_i σ_j, −v_i, −σ_j.</summary>
        public double[] FreeEnergyGradient(ReadOnlySpan<double> v)
        {
            var g = new double[ParameterCount];
            for (int j = 0; j < TinyHidden; j++)
            {
                double z = Hb[j];
                for (int i = 0; i < TinyVisible; i++) z += v[i] * W[i * TinyHidden + j];
                double s = Sigmoid(z);
                for (int i = 0; i < TinyVisible; i++) g[i * TinyHidden + j] = -v[i] * s;
                g[TinyVisible * TinyHidden + TinyVisible + j] = -s;
            }
            for (int i = 0; i < TinyVisible; i++) g[TinyVisible * TinyHidden + i] = -v[i];
            return g;
        }

        public const int ParameterCount = TinyVisible * TinyHidden + TinyVisible + TinyHidden;

        /// <summary>The parameters as (array, index) pairs in the flattened order.</summary>
        public IEnumerable<(double[] Values, int Index)> Parameters() =>
            Enumerable.Range(0, W.Length).Select(i => (W, i))
                .Concat(Enumerable.Range(0, Vb.Length).Select(i => (Vb, i)))
                .Concat(Enumerable.Range(0, Hb.Length).Select(i => (Hb, i)));

        /// <summary>Rows of the data repeated cyclically to <paramref name="count"/> rows (the mean over rows is unchanged
        /// when count is a multiple of the data's size).</summary>
        public double[] RepeatedData(int count)
        {
            var rows = new double[count * TinyVisible];
            for (int row = 0; row < count; row++) Data.AsSpan(row % TinyData * TinyVisible, TinyVisible).CopyTo(rows.AsSpan(row * TinyVisible));
            return rows;
        }

        /// <summary>The output of <see cref="Rbm.Gradient{T}"/> for data rows v0 and chain ends vk, flattened.</summary>
        public double[] CdGradient(double[] v0, double[] vk, int count)
        {
            var dw = new double[W.Length];
            var dvb = new double[TinyVisible];
            var dhb = new double[TinyHidden];
            Rbm.Gradient<double>(v0, HiddenMeans(v0, W, Hb, count, TinyVisible, TinyHidden), vk,
                HiddenMeans(vk, W, Hb, count, TinyVisible, TinyHidden), dw, dvb, dhb, count, TinyVisible, TinyHidden);
            return [.. dw, .. dvb, .. dhb];
        }
    }

    /// <summary>−∇ of the exact mean log-likelihood by central differences over every parameter.</summary>
    private static double[] NegativeLogLikelihoodGradientByDifferences(TinyRbm rbm) =>
        rbm.Parameters().Select(p => -CentralDifference(p.Values, p.Index, 1e-5, rbm.MeanLogLikelihood)).ToArray();

    [Fact]
    public void Exact_enumeration_the_likelihood_gradient_is_data_minus_model_free_energy_gradients()
    {
        var rbm = new TinyRbm(101);
        Assert.Equal(rbm.LogPartitionFromEnergies(), rbm.LogPartition(), 1e-12);
        double[] numeric = NegativeLogLikelihoodGradientByDifferences(rbm);

        // −∇LL = E_data ∇F − E_model ∇F, both expectations exact.
        double[] p = rbm.Probabilities();
        Assert.Equal(1, p.Sum(), 1e-12);
        var exact = new double[TinyRbm.ParameterCount];
        for (int row = 0; row < TinyData; row++)
        {
            double[] g = rbm.FreeEnergyGradient(rbm.Data.AsSpan(row * TinyVisible, TinyVisible));
            for (int k = 0; k < exact.Length; k++) exact[k] += g[k] / TinyData;
        }
        for (int s = 0; s < rbm.StateCount; s++)
        {
            double[] g = rbm.FreeEnergyGradient(rbm.States.AsSpan(s * TinyVisible, TinyVisible));
            for (int k = 0; k < exact.Length; k++) exact[k] -= p[s] * g[k];
        }
        for (int k = 0; k < exact.Length; k++)
            Assert.True(Math.Abs(exact[k] - numeric[k]) <= 1e-8, $"parameter {k}: enumeration {exact[k]:E10}, finite differences {numeric[k]:E10}");

        // Rbm.Gradient's two terms are these two expectations' estimates: with chain ends equal to the data they cancel.
        Assert.All(rbm.CdGradient(rbm.Data, rbm.Data, TinyData), g => Assert.Equal(0, g));
    }

    /// <summary>Standard deviations of ∇F(v) under the model, for the standard error of a Monte Carlo mean.</summary>
    private static double[] ModelStandardDeviations(TinyRbm rbm)
    {
        double[] p = rbm.Probabilities();
        var mean = new double[TinyRbm.ParameterCount];
        var square = new double[TinyRbm.ParameterCount];
        for (int s = 0; s < rbm.StateCount; s++)
        {
            double[] g = rbm.FreeEnergyGradient(rbm.States.AsSpan(s * TinyVisible, TinyVisible));
            for (int k = 0; k < g.Length; k++)
            {
                mean[k] += p[s] * g[k];
                square[k] += p[s] * g[k] * g[k];
            }
        }
        return mean.Zip(square, (m, s2) => Math.Sqrt(Math.Max(s2 - m * m, 0))).ToArray();
    }

    private void AssertWithinStandardErrors(double[] expected, double[] actual, double[] deviations, int samples, double errors, string what)
    {
        double worst = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            double standardError = deviations[k] / Math.Sqrt(samples);
            double z = Math.Abs(actual[k] - expected[k]) / standardError;
            worst = Math.Max(worst, z);
            Assert.True(z <= errors, $"{what}, parameter {k}: {actual[k]:E6} against −∇LL {expected[k]:E6}, {z:F1} standard errors apart");
        }
        output.WriteLine($"{what}: worst deviation {worst:F2} standard errors over {expected.Length} parameters");
    }

    [Fact]
    public void Exact_enumeration_Gradient_with_exact_model_samples_approaches_the_likelihood_gradient()
    {
        var rbm = new TinyRbm(202);
        double[] expected = NegativeLogLikelihoodGradientByDifferences(rbm);
        double[] p = rbm.Probabilities();
        const int count = TinyData * 5000;

        // Exact, independent samples of p(v) by inverting its cumulative distribution (seeded).
        var random = new Random(7);
        var vk = new double[count * TinyVisible];
        for (int row = 0; row < count; row++)
        {
            double u = random.NextDouble(), cumulative = 0;
            int s = 0;
            for (; s < rbm.StateCount - 1; s++)
                if ((cumulative += p[s]) > u) break;
            rbm.States.AsSpan(s * TinyVisible, TinyVisible).CopyTo(vk.AsSpan(row * TinyVisible));
        }
        double[] actual = rbm.CdGradient(rbm.RepeatedData(count), vk, count);
        // The data term is exact; only the model term carries Monte Carlo error. 5 standard errors, 19 parameters.
        AssertWithinStandardErrors(expected, actual, ModelStandardDeviations(rbm), count, 5, "exact samples");
    }

    [Fact]
    public void Exact_enumeration_long_CD_chains_approach_the_likelihood_gradient()
    {
        var rbm = new TinyRbm(303);
        double[] expected = NegativeLogLikelihoodGradientByDifferences(rbm);
        const int count = TinyData * 4000, steps = 100;
        const ulong seed = 0x5EED;

        // CD-k from the data, as the generated code runs it: h ~ σ(vW + hb), v ~ σ(hWᵀ + vb), k times.
        double[] v0 = rbm.RepeatedData(count), v = (double[])v0.Clone();
        var h = new double[count * TinyHidden];
        for (uint step = 0; step < steps; step++)
        {
            Dense.Forward<double>(v, rbm.W, rbm.Hb, h, count, TinyVisible, TinyHidden, Activation.Sigmoid);
            Rbm.Sample<double>(h, h, h.Length, seed, 0, step);
            Rbm.VisibleMeans<double>(h, rbm.W, rbm.Vb, v, count, TinyVisible, TinyHidden);
            Rbm.Sample<double>(v, v, v.Length, seed, 1, step);
        }
        Assert.All(v, x => Assert.True(x is 0 or 1));

        // The chains' end states against p(v): total variation distance, then the gradient.
        double[] p = rbm.Probabilities();
        var frequency = new double[rbm.StateCount];
        for (int row = 0; row < count; row++)
        {
            int s = 0;
            for (int i = 0; i < TinyVisible; i++) s |= (int)v[row * TinyVisible + i] << i;
            frequency[s] += 1.0 / count;
        }
        double totalVariation = 0.5 * p.Zip(frequency, (a, b) => Math.Abs(a - b)).Sum();
        output.WriteLine($"total variation between the chains' ends and p(v): {totalVariation:F4}");
        Assert.True(totalVariation < 0.03, $"total variation {totalVariation}");

        double[] actual = rbm.CdGradient(v0, v, count);
        AssertWithinStandardErrors(expected, actual, ModelStandardDeviations(rbm), count, 6, $"CD-{steps} chains");
    }

    // ---- c. CD-1 training on a toy data set ----

    [Fact]
    public void CD1_training_lowers_the_reconstruction_cost_and_raises_the_pseudo_likelihood()
    {
        const int visible = 16, hidden = 8, repeats = 5;
        // Four 4×4 patterns: top half, left half, main diagonal, a frame.
        string[] patterns = ["1111111100000000", "1100110011001100", "1000010000100001", "1111100110011111"];
        int count = patterns.Length * repeats;
        float[] data = Enumerable.Range(0, count).SelectMany(row => patterns[row % patterns.Length].Select(c => c == '1' ? 1f : 0f)).ToArray();

        var random = new Random(11);
        float[] w = TestData.To<float>(TestData.Uniform(random, visible * hidden, -0.1, 0.1));
        float[] vb = new float[visible], hb = new float[hidden];
        float[] dw = new float[w.Length], dvb = new float[visible], dhb = new float[hidden];
        float[] mw = new float[w.Length], mvb = new float[visible], mhb = new float[hidden];
        float[] h0 = new float[count * hidden], h = new float[count * hidden], v1 = new float[count * visible], h1 = new float[count * hidden];
        float[] reconstruction = new float[count * visible];
        float[] scratch = new float[Rbm.PseudoLikelihoodScratchLength(count, visible, hidden)];

        (float CrossEntropy, float PseudoLikelihood) Monitor()
        {
            // Mean-field reconstruction from the hidden means; the pseudo-likelihood averaged over every bit.
            Dense.Forward<float>(data, w, hb, h0, count, visible, hidden, Activation.Sigmoid);
            Rbm.VisibleMeans<float>(h0, w, vb, reconstruction, count, visible, hidden);
            float pl = 0;
            for (int bit = 0; bit < visible; bit++) pl += Rbm.PseudoLikelihood<float>(data, w, vb, hb, bit, scratch, count, visible, hidden) / visible;
            return (Rbm.ReconstructionCrossEntropy<float>(data, reconstruction, count, visible), pl);
        }

        var before = Monitor();
        for (uint epoch = 0; epoch < 300; epoch++)
        {
            Dense.Forward<float>(data, w, hb, h0, count, visible, hidden, Activation.Sigmoid);
            Rbm.Sample<float>(h0, h, h.Length, 99, 0, epoch);
            Rbm.VisibleMeans<float>(h, w, vb, v1, count, visible, hidden);
            Rbm.Sample<float>(v1, v1, v1.Length, 99, 1, epoch);
            Dense.Forward<float>(v1, w, hb, h1, count, visible, hidden, Activation.Sigmoid);
            Rbm.Gradient<float>(data, h0, v1, h1, dw, dvb, dhb, count, visible, hidden);
            Sgd.Step(w, dw, mw, 0.1f, 0.5f);
            Sgd.Step(vb, dvb, mvb, 0.1f, 0.5f);
            Sgd.Step(hb, dhb, mhb, 0.1f, 0.5f);
        }
        var after = Monitor();
        output.WriteLine($"cross-entropy {before.CrossEntropy:F3} → {after.CrossEntropy:F3}, pseudo-likelihood {before.PseudoLikelihood:F3} → {after.PseudoLikelihood:F3}");
        Assert.True(after.CrossEntropy < 0.3f * before.CrossEntropy, $"cross-entropy {before.CrossEntropy} → {after.CrossEntropy}");
        Assert.True(after.PseudoLikelihood > 0.5f * before.PseudoLikelihood, $"pseudo-likelihood {before.PseudoLikelihood} → {after.PseudoLikelihood}");
        Assert.True(after.PseudoLikelihood <= 0f);
    }

    // ---- d. Sampling ----

    [Fact]
    public void Sample_is_the_uniform_comparison_in_place_or_not()
    {
        const int length = 10_007;
        const ulong seed = 0xABCDEF;
        var random = new Random(3);
        double[] means = TestData.Uniform(random, length, 0, 1);
        means[0] = 0;
        means[1] = 1;
        var samples = new double[length];
        Rbm.Sample<double>(means, samples, length, seed, 4, 5);

        double sum = 0, expected = 0, variance = 0;
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(Philox.Uniform(seed, 4, 5, (uint)i) < means[i] ? 1.0 : 0.0, samples[i]);
            sum += samples[i];
            expected += means[i];
            variance += means[i] * (1 - means[i]);
        }
        Assert.Equal(0, samples[0]);
        Assert.Equal(1, samples[1]);
        Assert.True(Math.Abs(sum - expected) <= 5 * Math.Sqrt(variance), $"{sum} ones, {expected} expected");

        double[] inPlace = (double[])means.Clone();
        Rbm.Sample<double>(inPlace, inPlace, length, seed, 4, 5);
        Assert.Equal(samples, inPlace);

        float[] floatMeans = TestData.To<float>(means), floatSamples = new float[length];
        Rbm.Sample<float>(floatMeans, floatSamples, length, seed, 4, 5);
        for (int i = 0; i < length; i++) Assert.Equal(Philox.Uniform(seed, 4, 5, (uint)i) < floatMeans[i] ? 1f : 0f, floatSamples[i]);

        // Only the first `length` are written.
        var longer = new double[length + 3];
        longer.AsSpan(length).Fill(7);
        Rbm.Sample<double>(means.Concat(new double[3]).ToArray(), longer, length, seed, 4, 5);
        Assert.Equal([7, 7, 7], longer[length..]);

        Assert.Throws<ArgumentException>(() => Rbm.Sample<double>(inPlace.AsSpan(0, 100), inPlace.AsSpan(1, 100), 100, seed, 0, 0));
    }

    // ---- f. The monitoring costs against plain references ----

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8)]
    public void PseudoLikelihood_matches_the_reference(int bit)
    {
        const int count = 7, visible = 9, hidden = 5;
        var random = new Random(bit + 50);
        double[] w = TestData.Uniform(random, visible * hidden, -2, 2), vb = TestData.Uniform(random, visible), hb = TestData.Uniform(random, hidden);
        double[] v = TestData.Uniform(random, count * visible, 0, 1); // real values: rounded first
        v[bit] = 0.5; // a midpoint rounds up

        double expected = 0;
        for (int row = 0; row < count; row++)
        {
            double[] x = v.AsSpan(row * visible, visible).ToArray().Select(a => a >= 0.5 ? 1.0 : 0.0).ToArray();
            double fx = FreeEnergyReference(x, w, vb, hb);
            x[bit] = 1 - x[bit];
            double fFlipped = FreeEnergyReference(x, w, vb, hb);
            expected += Math.Log(Sigmoid(fFlipped - fx)) / count;
        }
        expected *= visible;

        var scratch = new double[Rbm.PseudoLikelihoodScratchLength(count, visible, hidden)];
        Assert.Equal(count * (visible + hidden), scratch.Length);
        double actual = Rbm.PseudoLikelihood<double>(v, w, vb, hb, bit, scratch, count, visible, hidden);
        Assert.Equal(expected, actual, 1e-10 * Math.Abs(expected));
        Assert.True(actual <= 0);

        float single = Rbm.PseudoLikelihood<float>(TestData.To<float>(v), TestData.To<float>(w), TestData.To<float>(vb), TestData.To<float>(hb),
            bit, new float[scratch.Length], count, visible, hidden);
        Assert.Equal(expected, single, 1e-4 * Math.Abs(expected) + 1e-5);

        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Rbm.PseudoLikelihood<double>(v, w, vb, hb, visible, scratch, count, visible, hidden));
        Assert.Throws<ArgumentException>(() =>
            Rbm.PseudoLikelihood<double>(v, w, vb, hb, bit, scratch.AsSpan(1), count, visible, hidden));
    }

    [Fact]
    public void ReconstructionCrossEntropy_matches_the_reference()
    {
        const int count = 6, visible = 11;
        var random = new Random(8);
        double[] v0 = TestData.Uniform(random, count * visible, 0, 1), p = TestData.Uniform(random, count * visible, 0, 1);
        for (int i = 0; i < visible; i += 2) v0[i] = Math.Round(v0[i]);
        p[0] = 0; // clamped: finite
        p[1] = 1;
        double expected = 0;
        for (int i = 0; i < v0.Length; i++)
        {
            double ε = Rbm.CrossEntropyClamp;
            expected -= (v0[i] * Math.Log(Math.Max(p[i], ε)) + (1 - v0[i]) * Math.Log(Math.Max(1 - p[i], ε))) / count;
        }
        double actual = Rbm.ReconstructionCrossEntropy<double>(v0, p, count, visible);
        Assert.Equal(expected, actual, 1e-12 * expected);
        Assert.True(actual > 0 && double.IsFinite(actual));
        // float: the same clamp at either end, the same value to float accuracy.
        float single = Rbm.ReconstructionCrossEntropy<float>(TestData.To<float>(v0), TestData.To<float>(p), count, visible);
        Assert.Equal(expected, single, 1e-5 * expected);

        // Perfect reconstructions of binary data cost about nothing; a saturated wrong one about −log 10⁻⁷ a unit.
        double[] bits = [0, 1, 1, 0];
        Assert.True(Rbm.ReconstructionCrossEntropy<double>(bits, bits, 1, 4) < 1e-6);
        Assert.Equal(-4 * Math.Log(1e-7), Rbm.ReconstructionCrossEntropy<double>(bits, bits.Select(b => 1 - b).ToArray(), 1, 4), 1e-6);
    }

    [Fact]
    public void Arguments_are_checked()
    {
        var a = new double[12];
        Assert.Throws<ArgumentException>(() => Rbm.VisibleMeans<double>(a, a.AsSpan(0, 5), a, new double[12], 2, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rbm.VisibleMeans<double>(a, a, a, new double[12], 2, 0, 2));
        Assert.Throws<ArgumentException>(() => Rbm.Gradient<double>(a, a, a, a, new double[5], new double[3], new double[2], 2, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rbm.Gradient<double>(a, a, a, a, new double[6], new double[3], new double[2], 0, 3, 2));
        Assert.Throws<ArgumentException>(() => Rbm.Update<double>(a, a, a, a, new double[6], new double[3], new double[2], 0.1,
            new double[Rbm.UpdateScratchLength(2, 3, 2) - 1], 2, 3, 2)); // scratch too short
        Assert.Throws<ArgumentException>(() => Rbm.Update<double>(a, a, a, a, new double[5], new double[3], new double[2], 0.1,
            new double[20], 2, 3, 2));
        var big = new double[40];
        Assert.Throws<ArgumentException>(() => Rbm.Update<double>(big, a, a, a, new double[6], new double[3], new double[2], 0.1,
            big.AsSpan(20), 2, 3, 2)); // scratch overlaps v0
        Assert.Throws<ArgumentOutOfRangeException>(() => Rbm.Update<double>(a, a, a, a, new double[6], new double[3], new double[2], 0.1,
            new double[20], 0, 3, 2));
        Assert.Throws<ArgumentException>(() => Rbm.FreeEnergy<double>(a, a, a, a, new double[3], 2, 3, 2));
        Assert.Throws<ArgumentException>(() => Rbm.FreeEnergy<double>(a, a, a, a, a, 2, 3, 2)); // scratch overlaps
        Assert.Throws<ArgumentOutOfRangeException>(() => Rbm.Sample<double>(a, new double[12], -1, 0, 0, 0));
        Assert.Throws<ArgumentException>(() => Rbm.Sample<double>(a, new double[11], 12, 0, 0, 0));
        Assert.Throws<ArgumentException>(() => Rbm.ReconstructionCrossEntropy<double>(a, a.AsSpan(1), 3, 4));
        var message = Assert.Throws<ArgumentException>(() => Rbm.VisibleMeans<double>(a.AsSpan(0, 3), a, a, new double[12], 2, 3, 2)).Message;
        Assert.Contains("hidden holds 3 elements; the call needs 4", message);
    }

    // ---- e. Kernels on ILGPU's CPU accelerator ----

    [Fact]
    public void Kernels_match_the_cpu_functions()
    {
        const int count = 5, visible = 13, hidden = 7;
        const ulong seed = 0x1234_5678_9ABC_DEF0;
        var random = new Random(23);
        float[] w = TestData.To<float>(TestData.Uniform(random, visible * hidden)), vb = TestData.To<float>(TestData.Uniform(random, visible));
        float[] hb = TestData.To<float>(TestData.Uniform(random, hidden));
        float[] v0 = TestData.To<float>(Binary(random, count * visible)), vk = TestData.To<float>(Binary(random, count * visible));
        float[] h0 = new float[count * hidden], hk = new float[count * hidden];
        Dense.Forward<float>(v0, w, hb, h0, count, visible, hidden, Activation.Sigmoid);
        Dense.Forward<float>(vk, w, hb, hk, count, visible, hidden, Activation.Sigmoid);

        using var device = ComputeDevice.Open(DeviceKind.IlgpuCpu);
        Accelerator accelerator = device.Accelerator!;
        var visibleMeans = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int>(Rbm.VisibleMeansKernel);
        var sample = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ulong, uint, uint>(Rbm.SampleKernel);
        var weightUpdate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, float, int, int, int>(Rbm.WeightUpdateKernel);
        var visibleBiasUpdate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            float, int, int>(Rbm.VisibleBiasUpdateKernel);
        var hiddenBiasUpdate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            float, int, int>(Rbm.HiddenBiasUpdateKernel);

        using var wBuffer = accelerator.Allocate1D(w);
        using var vbBuffer = accelerator.Allocate1D(vb);
        using var hbBuffer = accelerator.Allocate1D(hb);
        using var v0Buffer = accelerator.Allocate1D(v0);
        using var vkBuffer = accelerator.Allocate1D(vk);
        using var h0Buffer = accelerator.Allocate1D(h0);
        using var hkBuffer = accelerator.Allocate1D(hk);
        using var meansBuffer = accelerator.Allocate1D<float>(count * visible);
        using var samplesBuffer = accelerator.Allocate1D<float>(count * visible);
        using var inPlaceBuffer = accelerator.Allocate1D(h0);
        using var updatedW = accelerator.Allocate1D(w);
        using var updatedVb = accelerator.Allocate1D(vb);
        using var updatedHb = accelerator.Allocate1D(hb);
        const float learningRate = 0.3f;

        visibleMeans(count * visible, h0Buffer.View, wBuffer.View, vbBuffer.View, meansBuffer.View, visible, hidden);
        sample(count * visible, meansBuffer.View, samplesBuffer.View, seed, 2, 9);
        sample(count * hidden, inPlaceBuffer.View, inPlaceBuffer.View, seed, 3, 9);
        weightUpdate(visible * hidden, v0Buffer.View, h0Buffer.View, vkBuffer.View, hkBuffer.View, updatedW.View, learningRate, count, visible, hidden);
        visibleBiasUpdate(visible, v0Buffer.View, vkBuffer.View, updatedVb.View, learningRate, count, visible);
        hiddenBiasUpdate(hidden, h0Buffer.View, hkBuffer.View, updatedHb.View, learningRate, count, hidden);
        accelerator.Synchronize();

        var means = new float[count * visible];
        Rbm.VisibleMeans<float>(h0, w, vb, means, count, visible, hidden);
        AssertClose(means, meansBuffer.GetAsArray1D(), "visible means");
        // Sampling the kernel's own means on the CPU: bit for bit the same draws.
        float[] kernelMeans = meansBuffer.GetAsArray1D(), samples = new float[count * visible], inPlace = (float[])h0.Clone();
        Rbm.Sample<float>(kernelMeans, samples, samples.Length, seed, 2, 9);
        Rbm.Sample<float>(inPlace, inPlace, inPlace.Length, seed, 3, 9);
        Assert.Equal(samples, samplesBuffer.GetAsArray1D());
        Assert.Equal(inPlace, inPlaceBuffer.GetAsArray1D());

        float[] expectedW = (float[])w.Clone(), expectedVb = (float[])vb.Clone(), expectedHb = (float[])hb.Clone();
        Rbm.Update<float>(v0, h0, vk, hk, expectedW, expectedVb, expectedHb, learningRate,
            new float[Rbm.UpdateScratchLength(count, visible, hidden)], count, visible, hidden);
        AssertClose(expectedW, updatedW.GetAsArray1D(), "W");
        AssertClose(expectedVb, updatedVb.GetAsArray1D(), "vb");
        AssertClose(expectedHb, updatedHb.GetAsArray1D(), "hb");

        // The monitoring costs: a value per row on the device, averaged on the host as the generated code does. The
        // pseudo-likelihood on data that is not binary (rounded inside), for two bits.
        var crossEntropy = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            Rbm.ReconstructionCrossEntropyKernel);
        var terms = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int>(Rbm.PseudoLikelihoodTermKernel);
        var rows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int, int, int>(Rbm.PseudoLikelihoodRowKernel);
        using var rowCost = accelerator.Allocate1D<float>(count);
        using var termBuffer = accelerator.Allocate1D<float>(count * hidden);
        crossEntropy(count, v0Buffer.View, meansBuffer.View, rowCost.View, visible);
        accelerator.Synchronize();
        Assert.Equal(Rbm.ReconstructionCrossEntropy<float>(v0, kernelMeans, count, visible), rowCost.GetAsArray1D().Sum() / count, 1e-4);

        float[] soft = TestData.To<float>(TestData.Uniform(random, count * visible, 0, 1));
        using var softBuffer = accelerator.Allocate1D(soft);
        var scratch = new float[Rbm.PseudoLikelihoodScratchLength(count, visible, hidden)];
        foreach (int bit in new[] { 0, visible - 1 })
        {
            terms(count * hidden, softBuffer.View, wBuffer.View, hbBuffer.View, termBuffer.View, bit, visible, hidden);
            rows(count, softBuffer.View, vbBuffer.View, termBuffer.View, rowCost.View, bit, visible, hidden);
            accelerator.Synchronize();
            float expected = Rbm.PseudoLikelihood<float>(soft, w, vb, hb, bit, scratch, count, visible, hidden);
            float actual = visible * rowCost.GetAsArray1D().Sum() / count;
            Assert.True(Math.Abs(expected - actual) <= 1e-4f * (1 + Math.Abs(expected)), $"pseudo-likelihood, bit {bit}: {actual} against {expected}");
        }
    }

    /// <summary>The CPU accelerator runs kernels as .NET code; this puts each through ILGPU's compiler (to PTX).</summary>
    [Theory]
    [InlineData(nameof(Rbm.VisibleMeansKernel))]
    [InlineData(nameof(Rbm.SampleKernel))]
    [InlineData(nameof(Rbm.WeightUpdateKernel))]
    [InlineData(nameof(Rbm.VisibleBiasUpdateKernel))]
    [InlineData(nameof(Rbm.HiddenBiasUpdateKernel))]
    [InlineData(nameof(Rbm.ReconstructionCrossEntropyKernel))]
    [InlineData(nameof(Rbm.PseudoLikelihoodTermKernel))]
    [InlineData(nameof(Rbm.PseudoLikelihoodRowKernel))]
    public void Kernels_compile_to_ptx(string name) => KernelChecks.AssertCompilesToPtx(typeof(Rbm).GetMethod(name)!);

    private static void AssertClose(float[] expected, float[] actual, string what) => KernelChecks.AssertClose(expected, actual, what);
}
