using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dsl.Cpu;

namespace Dsl.Layers;

/// <summary>The Theano tutorials' weight penalty: l1·Σ|W| + l2·ΣW², on weights only.</summary>
public static class Regularization
{
    /// <summary>l1·Σ|w| + l2·Σw².</summary>
    public static T Penalty<T>(ReadOnlySpan<T> weights, T l1, T l2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T penalty = T.Zero;
        if (l1 != T.Zero) penalty += l1 * TensorPrimitives.SumOfMagnitudes(weights);
        if (l2 != T.Zero) penalty += l2 * TensorPrimitives.SumOfSquares(weights);
        return penalty;
    }

    /// <summary>The same on whole arrays, split over the cores when they are long.</summary>
    public static void AddGradient<T>(T[] weights, T[] gradient, T l1, T l2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (l1 == T.Zero && l2 == T.Zero) return;
        if (gradient.Length != weights.Length) throw new ArgumentException("Weights and gradient differ in length.", nameof(gradient));
        ParallelChunks.Run(weights.Length, new AddGradients<T>(weights, gradient, l1, l2));
    }

    private readonly struct AddGradients<T>(T[] weights, T[] gradient, T l1, T l2) : ParallelChunks.IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int start, int count) =>
            AddGradient(new ReadOnlySpan<T>(weights, start, count), gradient.AsSpan(start, count), l1, l2);
    }

    /// <summary>gradient += l1·sign(w) + 2·l2·w, in one vectorised pass (sign(0) = 0).</summary>
    public static void AddGradient<T>(ReadOnlySpan<T> weights, Span<T> gradient, T l1, T l2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (l1 == T.Zero && l2 == T.Zero) return;
        if (gradient.Length != weights.Length) throw new ArgumentException("Weights and gradient differ in length.", nameof(gradient));
        T twoL2 = l2 + l2;
        int vectorized = weights.Length - weights.Length % Vector<T>.Count;
        ReadOnlySpan<Vector<T>> w = MemoryMarshal.Cast<T, Vector<T>>(weights[..vectorized]);
        Span<Vector<T>> g = MemoryMarshal.Cast<T, Vector<T>>(gradient[..vectorized]);
        Vector<T> l1s = new(l1), twoL2s = new(twoL2), zero = Vector<T>.Zero;
        for (int i = 0; i < w.Length; i++)
        {
            Vector<T> l1Term = Vector.ConditionalSelect(Vector.GreaterThan(w[i], zero), l1s, zero)
                           - Vector.ConditionalSelect(Vector.LessThan(w[i], zero), l1s, zero);
            g[i] += l1Term + twoL2s * w[i];
        }
        for (int i = vectorized; i < weights.Length; i++)
            gradient[i] += l1 * T.CreateTruncating(T.Sign(weights[i])) + twoL2 * weights[i];
    }

    /// <summary>The same per-weight term, for kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gradient(float weight, float l1, float l2) =>
        l1 * (weight > 0f ? 1f : weight < 0f ? -1f : 0f) + 2f * l2 * weight;
}
