using Dsl.Cpu;
using Dsl.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace Dsl.Gpu;

/// <summary>A trainable tensor on an accelerator, with its gradient and momentum state.</summary>
public sealed record GpuParameter(string Name, int[] Shape, MemoryBuffer1D<float, Stride1D.Dense> Values,
    MemoryBuffer1D<float, Stride1D.Dense> Gradient, MemoryBuffer1D<float, Stride1D.Dense> Velocity, bool Regularized,
    bool FineTuned = true);

/// <summary>
/// Base of every generated ILGPU network: the generated class loads its shape-specialised kernels and launches them
/// in order; this class owns the device buffers, the input/label uploads, the SGD update and the float API.
/// Parameters start equal to the CPU network's for the same seed, so the two paths can be compared step by step.
/// </summary>
public abstract class GpuNetwork : INetwork
{
    private readonly List<MemoryBuffer> _buffers = [];
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float> _sgdStep;
    private readonly float[] _rowLossHost;

    /// <summary>Allocates the input, label and per-row loss buffers for <paramref name="batchCapacity"/> images.</summary>
    protected GpuNetwork(Accelerator accelerator, int batchCapacity, int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchCapacity);
        Accelerator = accelerator;
        BatchCapacity = batchCapacity;
        Images = Allocate(batchCapacity * inputSize);
        Labels = Track(accelerator.Allocate1D<int>(batchCapacity));
        RowLoss = Allocate(batchCapacity);
        _rowLossHost = new float[batchCapacity];
        _sgdStep = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>(Sgd.StepKernel);
    }

    /// <summary>The device the kernels run on.</summary>
    protected Accelerator Accelerator { get; }

    /// <summary>The current minibatch's images, (BatchCapacity, InputSize).</summary>
    protected MemoryBuffer1D<float, Stride1D.Dense> Images { get; }

    /// <summary>The current minibatch's labels, (BatchCapacity).</summary>
    protected MemoryBuffer1D<int, Stride1D.Dense> Labels { get; }

    /// <summary>−log p[label] per row of the last backward pass, (BatchCapacity).</summary>
    protected MemoryBuffer1D<float, Stride1D.Dense> RowLoss { get; }

    /// <inheritdoc/>
    public abstract NetworkInfo Info { get; }

    /// <inheritdoc/>
    public int BatchCapacity { get; }

    /// <inheritdoc/>
    public string DeviceName => $"{Accelerator.AcceleratorType} ({Accelerator.Name})";

    /// <summary>Every trainable tensor, in layer order.</summary>
    public abstract IReadOnlyList<GpuParameter> Parameters { get; }

    /// <summary>Class probabilities of the last forward pass, (BatchCapacity, Classes).</summary>
    protected abstract MemoryBuffer1D<float, Stride1D.Dense> Probabilities { get; }

    /// <summary>Launches the forward kernels on the first <paramref name="count"/> rows of <see cref="Images"/>.</summary>
    protected abstract void Forward(int count);

    /// <summary>Launches the backward kernels: every parameter's gradient, and <see cref="RowLoss"/>.</summary>
    protected abstract void Backward(int count, float l1, float l2);

    /// <summary>Allocates a zeroed float buffer that lives as long as the network.</summary>
    protected MemoryBuffer1D<float, Stride1D.Dense> Allocate(long length) => Track(Accelerator.Allocate1D<float>(length));

    /// <summary>Allocates a zeroed int buffer (e.g. max-pooling's winners) that lives as long as the network.</summary>
    protected MemoryBuffer1D<int, Stride1D.Dense> AllocateIndices(long length) => Track(Accelerator.Allocate1D<int>(length));

    /// <inheritdoc/>
    public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int count, TrainingSettings settings)
    {
        if (count < 1 || count > BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Minibatch size must be in [1, {BatchCapacity}].");
        if (labels.Length < count) throw new ArgumentException($"{count} images but only {labels.Length} labels.", nameof(labels));
        for (int i = 0; i < count; i++)
            if ((uint)labels[i] >= (uint)Info.Classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label of row {i} is outside [0, {Info.Classes}).");
        Upload(images, count);
        View(Labels).SubView(0, count).CopyFromCPU(labels[..count]);
        Forward(count);
        Backward(count, settings.L1, settings.L2);
        foreach (GpuParameter p in Parameters)
            if (p.FineTuned) _sgdStep((int)p.Values.Length, p.Values.View, p.Gradient.View, p.Velocity.View, settings.LearningRate, settings.Momentum);
        View(RowLoss).SubView(0, count).CopyToCPU(_rowLossHost.AsSpan(0, count)); // synchronises the stream
        double sum = 0;
        for (int i = 0; i < count; i++) sum += _rowLossHost[i];
        return (float)(sum / count);
    }

    /// <inheritdoc/>
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> probabilities)
    {
        int inputSize = Info.InputSize, classes = Info.Classes;
        if (probabilities.Length < count * classes)
            throw new ArgumentException($"Need room for {count}×{classes} probabilities, got {probabilities.Length}.", nameof(probabilities));
        for (int start = 0; start < count; start += BatchCapacity)
        {
            int n = Math.Min(BatchCapacity, count - start);
            Upload(images[(start * inputSize)..], n);
            Forward(n);
            View(Probabilities).SubView(0, n * classes).CopyToCPU(probabilities.Slice(start * classes, n * classes));
        }
    }

    /// <summary>One SGD step on a parameter's device buffers (momentum 0: plain SGD), as the training step takes.</summary>
    protected void Step(MemoryBuffer1D<float, Stride1D.Dense> values, MemoryBuffer1D<float, Stride1D.Dense> gradient,
        MemoryBuffer1D<float, Stride1D.Dense> velocity, float learningRate, float momentum) =>
        _sgdStep((int)values.Length, values.View, gradient.View, velocity.View, learningRate, momentum);

    /// <summary>Copies the first <paramref name="length"/> values of a device buffer into <paramref name="destination"/>
    /// (synchronising the stream).</summary>
    protected static void Download(MemoryBuffer1D<float, Stride1D.Dense> buffer, int length, Span<float> destination) =>
        View(buffer).SubView(0, length).CopyToCPU(destination[..length]);

    /// <summary>Copies <paramref name="source"/> into the start of a device buffer.</summary>
    protected static void UploadTo(MemoryBuffer1D<float, Stride1D.Dense> buffer, ReadOnlySpan<float> source) =>
        View(buffer).SubView(0, source.Length).CopyFromCPU(source);

    /// <summary>Copies the parameters (and zeroes the momentum) from a CPU network of the same declaration.</summary>
    public void CopyParametersFrom(CpuNetwork<float> source)
    {
        var byName = source.Parameters.ToDictionary(p => p.Name);
        foreach (GpuParameter p in Parameters)
        {
            if (!byName.TryGetValue(p.Name, out var match) || match.Values.Length != p.Values.Length)
                throw new ArgumentException($"Source network has no parameter {p.Name} of {p.Values.Length} values.", nameof(source));
            p.Values.CopyFromCPU(match.Values);
            p.Velocity.MemSetToZero();
        }
        Accelerator.Synchronize();
    }

    /// <summary>Copies <paramref name="count"/> images into <see cref="Images"/>.</summary>
    protected void Upload(ReadOnlySpan<float> images, int count)
    {
        int length = count * Info.InputSize;
        if (images.Length < length)
            throw new ArgumentException($"Expected {count} images of {Info.InputSize} values, got {images.Length} values.", nameof(images));
        View(Images).SubView(0, length).CopyFromCPU(images[..length]);
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Track<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged
    {
        buffer.MemSetToZero();
        _buffers.Add(buffer);
        return buffer;
    }

    // The contiguous view type is the one ILGPU's span copies accept.
    private static ArrayView<T> View<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged => buffer.View;

    /// <summary>Frees every device buffer (the accelerator belongs to the caller).</summary>
    public void Dispose()
    {
        foreach (MemoryBuffer buffer in _buffers) buffer.Dispose();
        _buffers.Clear();
        GC.SuppressFinalize(this);
    }
}
