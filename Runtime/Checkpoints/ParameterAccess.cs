using System.Numerics;
using Dsl.Cpu;
using Dsl.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace Dsl.Checkpoints;

/// <summary>Which array of a parameter to read or write.</summary>
internal enum ParameterPart
{
    /// <summary>The parameter itself.</summary>
    Values,
    /// <summary>Its momentum state.</summary>
    Velocity,
}

/// <summary>A parameter's name and shape, whatever device holds it.</summary>
/// <param name="Name">The generated name, e.g. "W1" (layer 1's weights) or "B3".</param>
/// <param name="Shape">Row-major shape, e.g. [784, 500].</param>
internal sealed record ParameterShape(string Name, int[] Shape)
{
    /// <summary>Number of values: the product of the shape.</summary>
    public int Length => Shape.Aggregate(1, (product, size) => product * size);

    /// <summary>"W1 (784, 500)".</summary>
    public override string ToString() => $"{Name} ({string.Join(", ", Shape)})";
}

/// <summary>
/// Reads and writes the parameters and momentum of any generated network as float32, on the CPU (float or double)
/// or on an accelerator (downloaded and uploaded), so checkpoints and divergence checks need not know which.
/// </summary>
internal abstract class ParameterAccess
{
    /// <summary>Every trainable tensor, in layer order.</summary>
    public abstract IReadOnlyList<ParameterShape> Shapes { get; }

    /// <summary>Copies a parameter's values or velocity into <paramref name="destination"/> (its length exactly).</summary>
    public abstract void Read(int index, ParameterPart part, Span<float> destination);

    /// <summary>Overwrites a parameter's values or velocity with <paramref name="source"/> (its length exactly).</summary>
    public abstract void Write(int index, ParameterPart part, ReadOnlySpan<float> source);

    /// <summary>Waits for writes to reach the device (nothing to do on the CPU).</summary>
    public virtual void Synchronize() { }

    /// <summary>The access for a generated network, or null for another implementation of <see cref="INetwork"/>.</summary>
    public static ParameterAccess? TryFor(INetwork network) => network switch
    {
        CpuNetwork<float> cpu => new CpuAccess<float>(cpu),
        CpuNetwork<double> cpu => new CpuAccess<double>(cpu),
        GpuNetwork gpu => new GpuAccess(gpu),
        _ => null,
    };

    /// <summary>The access for a generated network; throws for other implementations of <see cref="INetwork"/>.</summary>
    public static ParameterAccess For(INetwork network) => TryFor(network) ?? throw new NotSupportedException(
        $"{network.GetType().FullName} is not a generated network (CpuNetwork<float>, CpuNetwork<double> or GpuNetwork): " +
        "its parameters cannot be read or written.");

    /// <summary>The layer a parameter belongs to, from the number its generated name ends with ("W3" → layer 3), e.g.
    /// "layer 3, Conv(5, 5, 50, Tanh)"; null when the name carries no layer number.</summary>
    public static string? LayerOf(string parameterName, NetworkInfo info)
    {
        int digits = parameterName.Length;
        while (digits > 0 && char.IsAsciiDigit(parameterName[digits - 1])) digits--;
        return int.TryParse(parameterName.AsSpan(digits), out int layer) && layer >= 1 && layer <= info.Layers.Count
            ? $"layer {layer}, {info.Layers[layer - 1].Description}" : null;
    }

    private sealed class CpuAccess<T>(CpuNetwork<T> network) : ParameterAccess where T : unmanaged, IFloatingPointIeee754<T>
    {
        public override IReadOnlyList<ParameterShape> Shapes { get; } =
            network.Parameters.Select(p => new ParameterShape(p.Name, (int[])p.Shape.Clone())).ToArray();

        public override void Read(int index, ParameterPart part, Span<float> destination)
        {
            T[] source = Array(index, part);
            CheckLength(index, source.Length, destination.Length);
            if (typeof(T) == typeof(float)) ((float[])(object)source).CopyTo(destination);
            else for (int i = 0; i < source.Length; i++) destination[i] = float.CreateTruncating(source[i]);
        }

        public override void Write(int index, ParameterPart part, ReadOnlySpan<float> source)
        {
            T[] destination = Array(index, part);
            CheckLength(index, destination.Length, source.Length);
            if (typeof(T) == typeof(float)) source.CopyTo((float[])(object)destination);
            else for (int i = 0; i < source.Length; i++) destination[i] = T.CreateTruncating(source[i]);
        }

        private T[] Array(int index, ParameterPart part) =>
            part == ParameterPart.Values ? network.Parameters[index].Values : network.Parameters[index].Velocity;

        private void CheckLength(int index, int expected, int actual)
        {
            if (expected != actual)
                throw new ArgumentException($"{Shapes[index]} has {expected} values, not {actual}.");
        }
    }

    private sealed class GpuAccess(GpuNetwork network) : ParameterAccess
    {
        public override IReadOnlyList<ParameterShape> Shapes { get; } =
            network.Parameters.Select(p => new ParameterShape(p.Name, (int[])p.Shape.Clone())).ToArray();

        public override void Read(int index, ParameterPart part, Span<float> destination)
        {
            var buffer = part == ParameterPart.Values ? network.Parameters[index].Values : network.Parameters[index].Velocity;
            if (buffer.Length != destination.Length)
                throw new ArgumentException($"{Shapes[index]} has {buffer.Length} values, not {destination.Length}.");
            ArrayView<float> view = buffer.View; // the contiguous view type that span copies accept
            view.CopyToCPU(destination); // a span copy completes before it returns
        }

        public override void Write(int index, ParameterPart part, ReadOnlySpan<float> source)
        {
            var buffer = part == ParameterPart.Values ? network.Parameters[index].Values : network.Parameters[index].Velocity;
            if (buffer.Length != source.Length)
                throw new ArgumentException($"{Shapes[index]} has {buffer.Length} values, not {source.Length}.");
            ArrayView<float> view = buffer.View;
            view.CopyFromCPU(source);
        }

        public override void Synchronize()
        {
            if (network.Parameters.Count > 0) network.Parameters[0].Values.Accelerator.Synchronize();
        }
    }
}
