using System.Numerics;
using System.Runtime.InteropServices;
using Dsl.Layers;

namespace Dsl.Cpu;

/// <summary>A trainable tensor with what SGD needs beside it. Arrays are row-major with the given shape.</summary>
/// <param name="Name">Stable name, e.g. "W1" (layer 1's weights).</param>
/// <param name="Shape">e.g. [784, 500].</param>
/// <param name="Values">The parameter itself.</param>
/// <param name="Gradient">dCost/dValues after the last backward pass.</param>
/// <param name="Velocity">Momentum state.</param>
/// <param name="Regularized">Whether L1/L2 apply (weights yes, biases no).</param>
/// <param name="FineTuned">Whether supervised training updates it (not an RBM's visible biases, which only serve
/// pre-training).</param>
public sealed record Parameter<T>(string Name, int[] Shape, T[] Values, T[] Gradient, T[] Velocity, bool Regularized, bool FineTuned = true);

/// <summary>
/// Base of every generated CPU network: the generated class supplies the shape-specific forward, backward, update and
/// buffers; this class supplies the float entry points of <see cref="INetwork"/>, argument checks and the loss.
/// <typeparamref name="T"/> is float for training and double for finite-difference gradient checks.
/// </summary>
public abstract class CpuNetwork<T> : INetwork where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[]? _inputStaging; // only for T ≠ float: the float API converts through it

    /// <summary>Plans buffers for minibatches of up to <paramref name="batchCapacity"/> images.</summary>
    protected CpuNetwork(int batchCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchCapacity);
        BatchCapacity = batchCapacity;
    }

    /// <inheritdoc/>
    public abstract NetworkInfo Info { get; }

    /// <inheritdoc/>
    public int BatchCapacity { get; }

    /// <inheritdoc/>
    public string DeviceName => $"CPU ({(typeof(T) == typeof(float) ? "float32" : typeof(T).Name)}, SIMD, {Environment.ProcessorCount} threads)";

    /// <summary>Every trainable tensor, in layer order.</summary>
    public abstract IReadOnlyList<Parameter<T>> Parameters { get; }

    /// <summary>Class probabilities of the last <see cref="Forward"/>, (BatchCapacity, Classes).</summary>
    public abstract ReadOnlySpan<T> Probabilities { get; }

    /// <summary>Runs the layers on <paramref name="count"/> images (count, InputSize).</summary>
    public abstract void Forward(ReadOnlySpan<T> images, int count);

    /// <summary>
    /// Fills every parameter's gradient of mean NLL + l1·Σ|W| + l2·ΣW² for the images of the last
    /// <see cref="Forward"/>, which must have been called with the same images and count.
    /// </summary>
    public abstract void Backward(ReadOnlySpan<T> images, ReadOnlySpan<int> labels, int count, T l1, T l2);

    /// <summary>One SGD step on every parameter from its gradient.</summary>
    public abstract void Update(T learningRate, T momentum);

    /// <summary>The cost's regularisation terms: l1·Σ|W| + l2·ΣW² over all weights.</summary>
    public T Penalty(T l1, T l2)
    {
        T penalty = T.Zero;
        foreach (Parameter<T> parameter in Parameters)
            if (parameter.Regularized) penalty += Regularization.Penalty<T>(parameter.Values, l1, l2);
        return penalty;
    }

    /// <summary>The full cost the backward pass differentiates: forward, then mean NLL + penalty.</summary>
    public T Cost(ReadOnlySpan<T> images, ReadOnlySpan<int> labels, int count, T l1, T l2)
    {
        Forward(images, count);
        return SoftmaxLoss.MeanNegativeLogLikelihood(Probabilities, labels, count, Info.Classes) + Penalty(l1, l2);
    }

    /// <inheritdoc/>
    public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int count, TrainingSettings settings)
    {
        CheckBatch(images.Length, count, nameof(images));
        if (labels.Length < count) throw new ArgumentException($"{count} images but only {labels.Length} labels.", nameof(labels));
        ReadOnlySpan<T> input = ToT(images[..(count * Info.InputSize)]);
        Forward(input, count);
        T loss = SoftmaxLoss.MeanNegativeLogLikelihood(Probabilities, labels, count, Info.Classes);
        Backward(input, labels, count, T.CreateChecked(settings.L1), T.CreateChecked(settings.L2));
        Update(T.CreateChecked(settings.LearningRate), T.CreateChecked(settings.Momentum));
        return float.CreateChecked(loss);
    }

    /// <inheritdoc/>
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> probabilities)
    {
        int inputSize = Info.InputSize, classes = Info.Classes;
        if (count < 0 || images.Length < count * inputSize)
            throw new ArgumentException($"Expected {count} images of {inputSize} values, got {images.Length} values.", nameof(images));
        if (probabilities.Length < count * classes)
            throw new ArgumentException($"Need room for {count}×{classes} probabilities, got {probabilities.Length}.", nameof(probabilities));
        for (int start = 0; start < count; start += BatchCapacity) // any count: in chunks of the planned batch
        {
            int n = Math.Min(BatchCapacity, count - start);
            Forward(ToT(images.Slice(start * inputSize, n * inputSize)), n);
            FromT(Probabilities[..(n * classes)], probabilities.Slice(start * classes, n * classes));
        }
    }

    /// <summary>Throws unless 1 ≤ count ≤ capacity and the input holds count images.</summary>
    protected void CheckBatch(int inputLength, int count, string paramName)
    {
        if (count < 1 || count > BatchCapacity)
            throw new ArgumentOutOfRangeException(paramName, count, $"Minibatch size must be in [1, {BatchCapacity}].");
        if (inputLength < count * Info.InputSize)
            throw new ArgumentException($"Expected {count} images of {Info.InputSize} values, got {inputLength} values.", paramName);
    }

    /// <summary>The float input in this network's precision (a cast for float, a converted copy otherwise).</summary>
    protected ReadOnlySpan<T> ToT(ReadOnlySpan<float> values) => ToT(values, ref _inputStaging);

    /// <summary>Float values in this network's precision: a cast for float, otherwise a converted copy in
    /// <paramref name="staging"/>, which is allocated (as long as <paramref name="values"/>) on first use.</summary>
    protected ReadOnlySpan<T> ToT(ReadOnlySpan<float> values, ref T[]? staging)
    {
        if (typeof(T) == typeof(float)) return MemoryMarshal.Cast<float, T>(values);
        if (staging is null || staging.Length < values.Length) staging = new T[Math.Max(values.Length, BatchCapacity * Info.InputSize)];
        Span<T> staged = staging.AsSpan(0, values.Length);
        for (int i = 0; i < values.Length; i++) staged[i] = T.CreateChecked(values[i]);
        return staged;
    }

    /// <summary>Values in this network's precision as floats, into the start of <paramref name="destination"/>.</summary>
    protected static void FromT(ReadOnlySpan<T> values, Span<float> destination)
    {
        if (typeof(T) == typeof(float)) { MemoryMarshal.Cast<T, float>(values).CopyTo(destination); return; }
        for (int i = 0; i < values.Length; i++) destination[i] = float.CreateChecked(values[i]);
    }

    /// <summary>Nothing to release: CPU networks hold managed arrays only.</summary>
    public void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>Weight initialisers as in the Theano tutorials, drawn in double so float and double networks agree.</summary>
public static class Initializers
{
    /// <summary>Uniform in ±gain·√(6 / (fanIn + fanOut)) (Glorot &amp; Bengio 2010; gain 4 for sigmoid units).</summary>
    public static void GlorotUniform<T>(Span<T> weights, int fanIn, int fanOut, double gain, Random random)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Uniform(weights, gain * Math.Sqrt(6.0 / (fanIn + fanOut)), random);

    /// <summary>Uniform in ±√(6 / fanIn) (He et al. 2015), which keeps ReLU activations' variance.</summary>
    public static void HeUniform<T>(Span<T> weights, int fanIn, Random random) where T : unmanaged, IFloatingPointIeee754<T> =>
        Uniform(weights, Math.Sqrt(6.0 / fanIn), random);

    private static void Uniform<T>(Span<T> weights, double bound, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Rounded through float so a double network starts exactly where its float twin does.
        for (int i = 0; i < weights.Length; i++) weights[i] = T.CreateChecked((float)((random.NextDouble() * 2 - 1) * bound));
    }
}
