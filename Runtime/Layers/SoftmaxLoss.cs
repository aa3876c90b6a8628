using System.Numerics;
using ILGPU;

namespace Dsl.Layers;

/// <summary>
/// Softmax output with the negative log-likelihood loss, differentiated together: for probabilities p and one-hot
/// targets t over a minibatch of n, L = −(1/n) Σ log p[label] and dL/dz = (p − t) / n.
/// </summary>
public static class SoftmaxLoss
{
    /// <summary>Mean −log p[label] over <paramref name="count"/> rows of <paramref name="probabilities"/>.</summary>
    public static T MeanNegativeLogLikelihood<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> labels, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int row = 0; row < count; row++) sum -= T.Log(probabilities[row * classes + CheckedLabel(labels[row], row, classes)]);
        return sum / T.CreateChecked(count);
    }

    /// <summary>dz = (p − onehot(label)) / n for <paramref name="count"/> rows.</summary>
    public static void Gradient<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> labels, Span<T> gradient, int count, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateChecked(count);
        for (int row = 0; row < count; row++)
        {
            int label = CheckedLabel(labels[row], row, classes);
            for (int c = 0; c < classes; c++)
            {
                int i = row * classes + c;
                gradient[i] = (probabilities[i] - (c == label ? T.One : T.Zero)) * scale;
            }
        }
    }

    /// <summary>Kernel body, one thread per row: turns logits into probabilities in place.</summary>
    public static void SoftmaxKernel(Index1D row, ArrayView<float> values, int classes)
    {
        int start = row * classes;
        float max = values[start];
        for (int c = 1; c < classes; c++) max = MathF.Max(max, values[start + c]);
        float sum = 0f;
        for (int c = 0; c < classes; c++)
        {
            float e = MathF.Exp(values[start + c] - max);
            values[start + c] = e;
            sum += e;
        }
        for (int c = 0; c < classes; c++) values[start + c] /= sum;
    }

    /// <summary>Kernel body, one thread per row: dz = (p − t)/n and the row's −log p[label].</summary>
    public static void GradientKernel(Index1D row, ArrayView<float> probabilities, ArrayView<int> labels,
        ArrayView<float> gradient, ArrayView<float> rowLoss, int count, int classes)
    {
        int start = row * classes, label = labels[row];
        float scale = 1f / count;
        for (int c = 0; c < classes; c++)
            gradient[start + c] = (probabilities[start + c] - (c == label ? 1f : 0f)) * scale;
        rowLoss[row] = -MathF.Log(probabilities[start + label]);
    }

    private static int CheckedLabel(int label, int row, int classes) =>
        (uint)label < (uint)classes ? label
            : throw new ArgumentOutOfRangeException(nameof(label), label, $"Label of row {row} is outside [0, {classes}).");
}
