using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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

    /// <summary>gradient += l1·sign(w) + 2·l2·w.</summary>
    public static void AddGradient<T>(ReadOnlySpan<T> weights, Span<T> gradient, T l1, T l2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (l1 == T.Zero && l2 == T.Zero) return;
        T twoL2 = l2 + l2;
        for (int i = 0; i < weights.Length; i++) gradient[i] += l1 * T.CreateTruncating(T.Sign(weights[i])) + twoL2 * weights[i];
    }

    /// <summary>The same per-weight term, for kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gradient(float weight, float l1, float l2) =>
        l1 * (weight > 0f ? 1f : weight < 0f ? -1f : 0f) + 2f * l2 * weight;
}
