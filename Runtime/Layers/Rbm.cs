using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Dsl.Cpu;
using Dsl.Sampling;
using ILGPU;

namespace Dsl.Layers;

/// <summary>
/// The binary-binary restricted Boltzmann machine: energy E(v, h) = −v·vb − h·hb − vᵀWh, free energy
/// F(v) = −v·vb − Σ_j softplus((v·W + hb)_j). W has <see cref="Dense"/>'s layout, (visible, hidden) row-major, so the
/// hidden means σ(v·W + hb) are <see cref="Dense.Forward{T}"/> with <see cref="Activation.Sigmoid"/> (or
/// <see cref="Dense.ForwardKernel"/>); this class adds the way down (visible means), sampling, the contrastive
/// divergence gradient and the monitoring costs. CPU functions are generic in T; the ILGPU kernel bodies (float)
/// compute the same things.
/// </summary>
/// <remarks>
/// A CD-k step, as the generated code runs it: h0 = σ(v0·W + hb) (Dense.Forward); sample h from h0; then k times
/// v = sample(VisibleMeans(h)), h = σ(v·W + hb), sampling h again except after the last; then
/// <see cref="Update{T}"/>(v0, h0, vk, hk): a plain SGD step down <see cref="Gradient{T}"/>, fused. Random numbers come from
/// <see cref="Philox"/>: one seed, a stream per purpose, a step number per draw.
/// </remarks>
public static class Rbm
{
    /// <summary>visibleMeans (count, visible) = σ(h·Wᵀ + vb): the visible units' probabilities given the hidden ones.</summary>
    public static void VisibleMeans<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weights, ReadOnlySpan<T> visibleBias,
        Span<T> visibleMeans, int count, int visibleUnits, int hiddenUnits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSizes(count, visibleUnits, hiddenUnits);
        RequireLength(hidden.Length, (long)count * hiddenUnits, nameof(hidden));
        RequireLength(weights.Length, (long)visibleUnits * hiddenUnits, nameof(weights));
        RequireLength(visibleBias.Length, visibleUnits, nameof(visibleBias));
        RequireLength(visibleMeans.Length, (long)count * visibleUnits, nameof(visibleMeans));
        Span<T> y = visibleMeans[..(count * visibleUnits)];
        Gemm.Multiply(false, true, count, visibleUnits, hiddenUnits, hidden[..(count * hiddenUnits)], weights, y, accumulate: false);
        ReadOnlySpan<T> bias = visibleBias[..visibleUnits];
        for (int row = 0; row < count; row++)
        {
            Span<T> z = y.Slice(row * visibleUnits, visibleUnits);
            TensorPrimitives.Add(z, bias, z);
            Activations.Forward(Activation.Sigmoid, z);
        }
    }

    /// <summary>
    /// Bernoulli samples of the means: samples[i] = 1 when <see cref="Philox.Uniform"/>(seed, stream, step, i) &lt;
    /// means[i], else 0, for i &lt; <paramref name="length"/>. <paramref name="samples"/> may be
    /// <paramref name="means"/> itself (in place); other overlaps are refused.
    /// </summary>
    public static void Sample<T>(ReadOnlySpan<T> means, Span<T> samples, int length, ulong seed, uint stream, uint step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        RequireLength(means.Length, length, nameof(means));
        RequireLength(samples.Length, length, nameof(samples));
        means = means[..length];
        samples = samples[..length];
        if (samples.Overlaps(means, out int offset) && offset != 0)
            throw new ArgumentException("Samples must be the means themselves (in place) or not overlap them.", nameof(samples));

        // Uniforms in pieces on the stack; each element is read before it is written, so in place is safe.
        const int Chunk = 256;
        Span<float> uniforms = stackalloc float[Chunk];
        for (int start = 0; start < length; start += Chunk)
        {
            int n = Math.Min(Chunk, length - start);
            Span<float> u = uniforms[..n];
            Philox.FillUniform(u, seed, stream, step, (uint)start);
            for (int i = 0; i < n; i++)
                samples[start + i] = T.CreateTruncating(u[i]) < means[start + i] ? T.One : T.Zero;
        }
    }

    /// <summary>
    /// The contrastive-divergence gradient, to descend: the gradient of mean F(v0) − mean F(vk) over the batch with the
    /// chain's end vk held constant, given h0Mean = σ(v0·W + hb) and hkMean = σ(vk·W + hb):
    /// dW = (vkᵀ·hkMean − v0ᵀ·h0Mean)/n, dvb = mean of (vk − v0), dhb = mean of (hkMean − h0Mean).
    /// The gradients are overwritten.
    /// </summary>
    public static void Gradient<T>(ReadOnlySpan<T> v0, ReadOnlySpan<T> h0Mean, ReadOnlySpan<T> vk, ReadOnlySpan<T> hkMean,
        Span<T> weightGradient, Span<T> visibleBiasGradient, Span<T> hiddenBiasGradient, int count, int visibleUnits,
        int hiddenUnits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSizes(count, visibleUnits, hiddenUnits);
        ArgumentOutOfRangeException.ThrowIfZero(count);
        long visibleLength = (long)count * visibleUnits, hiddenLength = (long)count * hiddenUnits;
        RequireLength(v0.Length, visibleLength, nameof(v0));
        RequireLength(h0Mean.Length, hiddenLength, nameof(h0Mean));
        RequireLength(vk.Length, visibleLength, nameof(vk));
        RequireLength(hkMean.Length, hiddenLength, nameof(hkMean));
        RequireLength(weightGradient.Length, (long)visibleUnits * hiddenUnits, nameof(weightGradient));
        RequireLength(visibleBiasGradient.Length, visibleUnits, nameof(visibleBiasGradient));
        RequireLength(hiddenBiasGradient.Length, hiddenUnits, nameof(hiddenBiasGradient));

        T n = T.CreateChecked(count);
        // dW = −v0ᵀ·h0, then += vkᵀ·hk, then / n: the two sums meet at full size and the scaling rounds once.
        Span<T> dw = weightGradient[..(visibleUnits * hiddenUnits)];
        Gemm.Multiply(true, false, visibleUnits, hiddenUnits, count, v0, h0Mean, dw, accumulate: false);
        TensorPrimitives.Negate(dw, dw);
        Gemm.Multiply(true, false, visibleUnits, hiddenUnits, count, vk, hkMean, dw, accumulate: true);
        TensorPrimitives.Divide(dw, n, dw);

        MeanDifference(vk, v0, visibleBiasGradient[..visibleUnits], count, visibleUnits, n);
        MeanDifference(hkMean, h0Mean, hiddenBiasGradient[..hiddenUnits], count, hiddenUnits, n);
    }

    /// <summary>The scratch length <see cref="Update{T}"/> needs: 2·count·(visible + hidden), twice
    /// <see cref="PseudoLikelihoodScratchLength"/>.</summary>
    public static int UpdateScratchLength(int count, int visibleUnits, int hiddenUnits)
    {
        CheckSizes(count, visibleUnits, hiddenUnits);
        long length = 2L * count * (visibleUnits + (long)hiddenUnits);
        return length <= Array.MaxLength ? (int)length
            : throw new ArgumentException($"2·count·(visible + hidden) = {length} is too large for one span.");
    }

    /// <summary>
    /// One plain SGD step down <see cref="Gradient{T}"/>, fused: with s = η/n,
    /// W += s·(v0ᵀ·h0Mean − vkᵀ·hkMean), vb += s·Σ_rows (v0 − vk), hb += s·Σ_rows (h0Mean − hkMean).
    /// The two products are computed as one, [v0; vk]ᵀ·[s·h0Mean; −s·hkMean] with 2n steps of k, and added straight to
    /// W: the weight matrix passes through memory once, where writing the gradient, negating, scaling and stepping
    /// took it through five times. <paramref name="scratch"/> holds <see cref="UpdateScratchLength"/> elements (the
    /// stacked operands).
    /// </summary>
    public static void Update<T>(ReadOnlySpan<T> v0, ReadOnlySpan<T> h0Mean, ReadOnlySpan<T> vk, ReadOnlySpan<T> hkMean,
        Span<T> weights, Span<T> visibleBias, Span<T> hiddenBias, T learningRate, Span<T> scratch, int count,
        int visibleUnits, int hiddenUnits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSizes(count, visibleUnits, hiddenUnits);
        ArgumentOutOfRangeException.ThrowIfZero(count);
        int visibleLength = count * visibleUnits, hiddenLength = count * hiddenUnits;
        RequireLength(v0.Length, visibleLength, nameof(v0));
        RequireLength(h0Mean.Length, hiddenLength, nameof(h0Mean));
        RequireLength(vk.Length, visibleLength, nameof(vk));
        RequireLength(hkMean.Length, hiddenLength, nameof(hkMean));
        CheckParameters<T>(weights, visibleBias, hiddenBias, visibleUnits, hiddenUnits);
        RequireLength(scratch.Length, UpdateScratchLength(count, visibleUnits, hiddenUnits), nameof(scratch));
        if (scratch.Overlaps(v0) || scratch.Overlaps(h0Mean) || scratch.Overlaps(vk) || scratch.Overlaps(hkMean) ||
            scratch.Overlaps(weights) || scratch.Overlaps(visibleBias) || scratch.Overlaps(hiddenBias))
            throw new ArgumentException("The scratch space must not overlap the operands.", nameof(scratch));

        T s = learningRate / T.CreateChecked(count);
        Span<T> visible = scratch[..(2 * visibleLength)], hidden = scratch.Slice(2 * visibleLength, 2 * hiddenLength);
        v0[..visibleLength].CopyTo(visible);
        vk[..visibleLength].CopyTo(visible[visibleLength..]);
        TensorPrimitives.Multiply(h0Mean[..hiddenLength], s, hidden);
        TensorPrimitives.Multiply(hkMean[..hiddenLength], -s, hidden[hiddenLength..]);
        Gemm.Multiply(true, false, visibleUnits, hiddenUnits, 2 * count, visible, hidden, weights, accumulate: true);

        // hb += Σ of the 2n scaled hidden rows; vb += s·(Σ v0 − Σ vk), the rows summed in order as in Gradient.
        Span<T> hb = hiddenBias[..hiddenUnits], vb = visibleBias[..visibleUnits];
        for (int row = 0; row < 2 * count; row++)
            TensorPrimitives.Add(hb, hidden.Slice(row * hiddenUnits, hiddenUnits), hb);
        Span<T> difference = visible[..visibleUnits]; // v0's first row is no longer needed once the product is done
        MeanDifference(v0, vk, difference, count, visibleUnits, T.One);
        TensorPrimitives.MultiplyAdd(difference, s, vb, vb);
    }

    /// <summary>result = Σ_rows (a − b) / n.</summary>
    private static void MeanDifference<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> result, int count, int width, T n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        result.Clear();
        for (int row = 0; row < count; row++)
        {
            TensorPrimitives.Add(result, a.Slice(row * width, width), result);
            TensorPrimitives.Subtract(result, b.Slice(row * width, width), result);
        }
        TensorPrimitives.Divide(result, n, result);
    }

    /// <summary>
    /// The mean over the batch of the free energy F(v) = −v·vb − Σ_j softplus((v·W + hb)_j), softplus computed as
    /// max(z, 0) + log(1 + e^−|z|), which neither overflows nor loses the small values. <paramref name="scratch"/>
    /// holds count·hidden elements (the pre-activations).
    /// </summary>
    public static T FreeEnergy<T>(ReadOnlySpan<T> v, ReadOnlySpan<T> weights, ReadOnlySpan<T> visibleBias,
        ReadOnlySpan<T> hiddenBias, Span<T> scratch, int count, int visibleUnits, int hiddenUnits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSizes(count, visibleUnits, hiddenUnits);
        ArgumentOutOfRangeException.ThrowIfZero(count);
        RequireLength(v.Length, (long)count * visibleUnits, nameof(v));
        CheckParameters(weights, visibleBias, hiddenBias, visibleUnits, hiddenUnits);
        RequireLength(scratch.Length, (long)count * hiddenUnits, nameof(scratch));
        if (scratch.Overlaps(v) || scratch.Overlaps(weights) || scratch.Overlaps(visibleBias) || scratch.Overlaps(hiddenBias))
            throw new ArgumentException("The scratch space must not overlap the inputs.", nameof(scratch));

        Span<T> z = scratch[..(count * hiddenUnits)];
        Dense.Forward(v, weights, hiddenBias, z, count, visibleUnits, hiddenUnits, Activation.Identity);
        T total = T.Zero;
        for (int row = 0; row < count; row++)
            total += RowFreeEnergy(v.Slice(row * visibleUnits, visibleUnits), visibleBias[..visibleUnits],
                z.Slice(row * hiddenUnits, hiddenUnits));
        return total / T.CreateChecked(count);
    }

    /// <summary>F of one row from its pre-activations z = v·W + hb.</summary>
    private static T RowFreeEnergy<T>(ReadOnlySpan<T> v, ReadOnlySpan<T> visibleBias, ReadOnlySpan<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T softplus = T.Zero;
        for (int j = 0; j < z.Length; j++) softplus += Softplus(z[j]);
        return -TensorPrimitives.Dot(v, visibleBias) - softplus;
    }

    /// <summary>log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), stable for any x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Softplus<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Max(x, T.Zero) + LogOnePlus(T.Exp(-T.Abs(x)));

    /// <summary>log(1 + u) for u ≥ 0 accurate also for tiny u: log(w)·u/(w − 1) with w = 1 + u rounded, which cancels
    /// the rounding of w (Goldberg, "What every computer scientist should know about floating-point arithmetic").</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T LogOnePlus<T>(T u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T w = T.One + u;
        return w == T.One ? u : T.Log(w) * u / (w - T.One);
    }

    /// <summary>The lowest probability <see cref="ReconstructionCrossEntropy{T}"/> takes the log of.</summary>
    public const double CrossEntropyClamp = 1e-7;

    /// <summary>
    /// The mean over the batch of the reconstruction cross-entropy −Σ_i [v0 log p + (1 − v0) log(1 − p)], p being the
    /// visible means of the reconstruction. A positive number; lower is better. Both p and 1 − p are raised to at
    /// least <see cref="CrossEntropyClamp"/> (10⁻⁷) before their logs, so a saturated wrong unit costs
    /// −log 10⁻⁷ ≈ 16.1 rather than infinity, the same in float and double (clamping 1 − p itself, not p below
    /// 1 − 10⁻⁷, which float would round).
    /// </summary>
    public static T ReconstructionCrossEntropy<T>(ReadOnlySpan<T> v0, ReadOnlySpan<T> visibleMeans, int count, int visibleUnits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(visibleUnits, 1);
        long length = (long)count * visibleUnits;
        RequireLength(v0.Length, length, nameof(v0));
        RequireLength(visibleMeans.Length, length, nameof(visibleMeans));
        T low = T.CreateChecked(CrossEntropyClamp);
        T total = T.Zero;
        for (int row = 0; row < count; row++)
        {
            T sum = T.Zero;
            for (int i = row * visibleUnits, end = i + visibleUnits; i < end; i++)
            {
                T p = visibleMeans[i], x = v0[i];
                sum += x * T.Log(T.Max(p, low)) + (T.One - x) * T.Log(T.Max(T.One - p, low));
            }
            total -= sum;
        }
        return total / T.CreateChecked(count);
    }

    /// <summary>The scratch length <see cref="PseudoLikelihood{T}"/> needs: count·(visible + hidden).</summary>
    public static int PseudoLikelihoodScratchLength(int count, int visibleUnits, int hiddenUnits)
    {
        CheckSizes(count, visibleUnits, hiddenUnits);
        long length = (long)count * (visibleUnits + (long)hiddenUnits);
        return length <= Array.MaxLength ? (int)length
            : throw new ArgumentException($"count·(visible + hidden) = {length} is too large for one span.");
    }

    /// <summary>
    /// The stochastic pseudo-likelihood of the batch, as the Deep Learning Tutorials' rbm.py computes it: x = round(v)
    /// (halves round up), x̃ = x with bit <paramref name="bitIndex"/> flipped in every row, and the result
    /// visible · mean over rows of log σ(F(x̃) − F(x)), an estimate of Σ_i log p(x_i | x_−i). A log-probability: at
    /// most 0, higher is better. The caller cycles <paramref name="bitIndex"/> through the visible units.
    /// <paramref name="scratch"/> holds <see cref="PseudoLikelihoodScratchLength"/> elements.
    /// </summary>
    public static T PseudoLikelihood<T>(ReadOnlySpan<T> v, ReadOnlySpan<T> weights, ReadOnlySpan<T> visibleBias,
        ReadOnlySpan<T> hiddenBias, int bitIndex, Span<T> scratch, int count, int visibleUnits, int hiddenUnits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSizes(count, visibleUnits, hiddenUnits);
        ArgumentOutOfRangeException.ThrowIfZero(count);
        if ((uint)bitIndex >= (uint)visibleUnits)
            throw new ArgumentOutOfRangeException(nameof(bitIndex), bitIndex, $"The bit to flip must lie in [0, {visibleUnits}).");
        RequireLength(v.Length, (long)count * visibleUnits, nameof(v));
        CheckParameters(weights, visibleBias, hiddenBias, visibleUnits, hiddenUnits);
        RequireLength(scratch.Length, PseudoLikelihoodScratchLength(count, visibleUnits, hiddenUnits), nameof(scratch));
        if (scratch.Overlaps(v) || scratch.Overlaps(weights) || scratch.Overlaps(visibleBias) || scratch.Overlaps(hiddenBias))
            throw new ArgumentException("The scratch space must not overlap the inputs.", nameof(scratch));

        Span<T> x = scratch[..(count * visibleUnits)], z = scratch.Slice(count * visibleUnits, count * hiddenUnits);
        for (int i = 0; i < x.Length; i++) x[i] = T.Round(v[i], MidpointRounding.AwayFromZero);
        Dense.Forward<T>(x, weights, hiddenBias, z, count, visibleUnits, hiddenUnits, Activation.Identity);
        ReadOnlySpan<T> flippedRow = weights.Slice(bitIndex * hiddenUnits, hiddenUnits), vb = visibleBias[..visibleUnits];
        T total = T.Zero;
        for (int row = 0; row < count; row++)
        {
            ReadOnlySpan<T> xr = x.Slice(row * visibleUnits, visibleUnits), zr = z.Slice(row * hiddenUnits, hiddenUnits);
            // Flipping bit b changes x_b by d = 1 − 2x_b: −x·vb by −d·vb_b and every z_j by d·W_bj.
            T d = T.One - (xr[bitIndex] + xr[bitIndex]);
            T plain = T.Zero, flipped = T.Zero;
            for (int j = 0; j < hiddenUnits; j++)
            {
                plain += Softplus(zr[j]);
                flipped += Softplus(zr[j] + d * flippedRow[j]);
            }
            // F(x̃) − F(x) = −d·vb_b − (Σ softplus(z̃) − Σ softplus(z)); log σ(t) = −softplus(−t).
            T difference = -d * vb[bitIndex] - (flipped - plain);
            total -= Softplus(-difference);
        }
        return T.CreateChecked(visibleUnits) * total / T.CreateChecked(count);
    }

    // ILGPU kernel bodies (float). Layouts as the CPU functions: row-major (count, units), W (visible, hidden).

    /// <summary>Kernel body, one thread per visible unit of a row (count·visible): σ(h·Wᵀ + vb).</summary>
    public static void VisibleMeansKernel(Index1D index, ArrayView<float> hidden, ArrayView<float> weights,
        ArrayView<float> visibleBias, ArrayView<float> visibleMeans, int visibleUnits, int hiddenUnits)
    {
        int row = index / visibleUnits, i = index % visibleUnits;
        float z = visibleBias[i];
        for (int j = 0; j < hiddenUnits; j++) z += hidden[row * hiddenUnits + j] * weights[i * hiddenUnits + j];
        visibleMeans[index] = Activations.Apply(Activation.Sigmoid, z);
    }

    /// <summary>Kernel body, one thread per element: samples = [Uniform(seed, stream, step, index) &lt; means], as
    /// <see cref="Sample{T}"/> bit for bit. May run in place.</summary>
    public static void SampleKernel(Index1D index, ArrayView<float> means, ArrayView<float> samples, ulong seed, uint stream,
        uint step)
    {
        float u = Philox.Uniform(seed, stream, step, (uint)index.X);
        samples[index] = u < means[index] ? 1f : 0f;
    }

    /// <summary>Kernel body, one thread per row: that row's term of <see cref="ReconstructionCrossEntropy{T}"/>,
    /// −Σ_i [v0 log p + (1 − v0) log(1 − p)] with the same clamping; the host averages the rows.</summary>
    public static void ReconstructionCrossEntropyKernel(Index1D row, ArrayView<float> v0, ArrayView<float> visibleMeans,
        ArrayView<float> rowCost, int visibleUnits)
    {
        const float low = (float)CrossEntropyClamp;
        float sum = 0f;
        for (int i = row * visibleUnits, end = i + visibleUnits; i < end; i++)
        {
            float p = visibleMeans[i], x = v0[i];
            sum += x * MathF.Log(MathF.Max(p, low)) + (1f - x) * MathF.Log(MathF.Max(1f - p, low));
        }
        rowCost[row] = -sum;
    }

    /// <summary>
    /// Kernel body, one thread per (row, hidden unit): the first half of <see cref="PseudoLikelihood{T}"/>. With
    /// x = round(v) and d = 1 − 2·x_bit, z = x·W + hb for this unit, it writes softplus(z + d·W_bit) − softplus(z), the
    /// unit's share of F(x) − F(x̃) beyond the visible bias.
    /// </summary>
    public static void PseudoLikelihoodTermKernel(Index1D index, ArrayView<float> v, ArrayView<float> weights,
        ArrayView<float> hiddenBias, ArrayView<float> terms, int bitIndex, int visibleUnits, int hiddenUnits)
    {
        int row = index / hiddenUnits, j = index % hiddenUnits;
        float z = hiddenBias[j];
        for (int i = 0; i < visibleUnits; i++)
            z += MathF.Round(v[row * visibleUnits + i], MidpointRounding.AwayFromZero) * weights[i * hiddenUnits + j];
        float d = 1f - 2f * MathF.Round(v[row * visibleUnits + bitIndex], MidpointRounding.AwayFromZero);
        terms[index] = SoftplusFloat(z + d * weights[bitIndex * hiddenUnits + j]) - SoftplusFloat(z);
    }

    /// <summary>Kernel body, one thread per row: the second half of <see cref="PseudoLikelihood{T}"/>, that row's
    /// log σ(F(x̃) − F(x)) from the hidden units' terms; the host takes visible × their mean.</summary>
    public static void PseudoLikelihoodRowKernel(Index1D row, ArrayView<float> v, ArrayView<float> visibleBias,
        ArrayView<float> terms, ArrayView<float> rowCost, int bitIndex, int visibleUnits, int hiddenUnits)
    {
        float d = 1f - 2f * MathF.Round(v[row * visibleUnits + bitIndex], MidpointRounding.AwayFromZero);
        float softplusChange = 0f;
        for (int j = row * hiddenUnits, end = j + hiddenUnits; j < end; j++) softplusChange += terms[j];
        float difference = -d * visibleBias[bitIndex] - softplusChange;
        rowCost[row] = -SoftplusFloat(-difference);
    }

    /// <summary><see cref="Softplus{T}"/> in float for the kernels: max(x, 0) + log1p(e^−|x|), the log1p as there.</summary>
    private static float SoftplusFloat(float x)
    {
        float u = MathF.Exp(-MathF.Abs(x)), w = 1f + u;
        return MathF.Max(x, 0f) + (w == 1f ? u : MathF.Log(w) * u / (w - 1f));
    }

    /// <summary>Kernel body, one thread per weight (visible·hidden): <see cref="Update{T}"/>'s weight step,
    /// W += η/count · Σ_rows (v0·h0 − vk·hk).</summary>
    public static void WeightUpdateKernel(Index1D index, ArrayView<float> v0, ArrayView<float> h0Mean, ArrayView<float> vk,
        ArrayView<float> hkMean, ArrayView<float> weights, float learningRate, int count, int visibleUnits, int hiddenUnits)
    {
        int i = index / hiddenUnits, j = index % hiddenUnits;
        float sum = 0f;
        for (int row = 0; row < count; row++)
            sum += v0[row * visibleUnits + i] * h0Mean[row * hiddenUnits + j] - vk[row * visibleUnits + i] * hkMean[row * hiddenUnits + j];
        weights[index] += learningRate / count * sum;
    }

    /// <summary>Kernel body, one thread per visible unit: vb += η/count · Σ_rows (v0 − vk).</summary>
    public static void VisibleBiasUpdateKernel(Index1D i, ArrayView<float> v0, ArrayView<float> vk, ArrayView<float> visibleBias,
        float learningRate, int count, int visibleUnits)
    {
        float sum = 0f;
        for (int row = 0; row < count; row++) sum += v0[row * visibleUnits + i] - vk[row * visibleUnits + i];
        visibleBias[i] += learningRate / count * sum;
    }

    /// <summary>Kernel body, one thread per hidden unit: hb += η/count · Σ_rows (h0 − hk).</summary>
    public static void HiddenBiasUpdateKernel(Index1D j, ArrayView<float> h0Mean, ArrayView<float> hkMean,
        ArrayView<float> hiddenBias, float learningRate, int count, int hiddenUnits)
    {
        float sum = 0f;
        for (int row = 0; row < count; row++) sum += h0Mean[row * hiddenUnits + j] - hkMean[row * hiddenUnits + j];
        hiddenBias[j] += learningRate / count * sum;
    }

    private static void CheckSizes(int count, int visibleUnits, int hiddenUnits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(visibleUnits, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenUnits, 1);
    }

    private static void CheckParameters<T>(ReadOnlySpan<T> weights, ReadOnlySpan<T> visibleBias, ReadOnlySpan<T> hiddenBias,
        int visibleUnits, int hiddenUnits)
    {
        RequireLength(weights.Length, (long)visibleUnits * hiddenUnits, nameof(weights));
        RequireLength(visibleBias.Length, visibleUnits, nameof(visibleBias));
        RequireLength(hiddenBias.Length, hiddenUnits, nameof(hiddenBias));
    }

    private static void RequireLength(int length, long required, string name)
    {
        if (length < required)
            throw new ArgumentException($"{name} holds {length} elements; the call needs {required}.", name);
    }
}
