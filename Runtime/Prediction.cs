using System.Buffers;

namespace Dsl;

/// <summary>A classified image: the most probable class and every class's probability.</summary>
/// <param name="Class">Index of the most probable class (the first on ties).</param>
/// <param name="Probabilities">One probability per class, summing to 1.</param>
public sealed record Prediction(int Class, float[] Probabilities)
{
    /// <summary>The probability of <see cref="Class"/>.</summary>
    public float Confidence => Probabilities[Class];
}

/// <summary>
/// Classifying with a trained network: one image or many, allocating a result or writing into the caller's spans. Works
/// with every <see cref="INetwork"/>, CPU or GPU; load trained parameters first with
/// <see cref="Checkpoints.Checkpoint.Load(string, INetwork)"/>.
/// </summary>
public static class NetworkPrediction
{
    /// <summary>Classifies one image of <see cref="NetworkInfo.InputSize"/> values (pixels in [0, 1] for MNIST).</summary>
    public static Prediction Classify(this INetwork network, ReadOnlySpan<float> image)
    {
        var probabilities = new float[network.Info.Classes];
        int best = network.Classify(image, probabilities);
        return new Prediction(best, probabilities);
    }

    /// <summary>Classifies one image, writing its <see cref="NetworkInfo.Classes"/> probabilities into
    /// <paramref name="probabilities"/>; allocates nothing itself.</summary>
    /// <returns>The most probable class.</returns>
    public static int Classify(this INetwork network, ReadOnlySpan<float> image, Span<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(network);
        NetworkInfo info = network.Info;
        if (image.Length != info.InputSize)
            throw new ArgumentException($"Expected one image of {info.InputSize} values ({ShapeOf(info)}) for {info.Name}, got {image.Length}.", nameof(image));
        if (probabilities.Length < info.Classes)
            throw new ArgumentException($"Need room for {info.Classes} probabilities, got {probabilities.Length}.", nameof(probabilities));
        network.Predict(image, 1, probabilities);
        return ArgMax(probabilities[..info.Classes]);
    }

    /// <summary>The most probable class of each of <paramref name="count"/> images, (count, InputSize) row-major.</summary>
    public static int[] Classify(this INetwork network, ReadOnlySpan<float> images, int count)
    {
        var classes = new int[count];
        network.Classify(images, count, classes);
        return classes;
    }

    /// <summary>
    /// Writes the most probable class of each of <paramref name="count"/> images into <paramref name="classes"/>. The
    /// probabilities pass through a pooled buffer of one minibatch, so nothing is allocated after the first call; use
    /// <see cref="INetwork.Predict"/> to keep the probabilities.
    /// </summary>
    public static void Classify(this INetwork network, ReadOnlySpan<float> images, int count, Span<int> classes)
    {
        ArgumentNullException.ThrowIfNull(network);
        NetworkInfo info = network.Info;
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (images.Length < (long)count * info.InputSize)
            throw new ArgumentException($"Expected {count} images of {info.InputSize} values ({ShapeOf(info)}), got {images.Length} values.", nameof(images));
        if (classes.Length < count)
            throw new ArgumentException($"Need room for {count} classes, got {classes.Length}.", nameof(classes));
        int chunk = network.BatchCapacity, k = info.Classes;
        float[] probabilities = ArrayPool<float>.Shared.Rent(chunk * k);
        try
        {
            for (int start = 0; start < count; start += chunk)
            {
                int n = Math.Min(chunk, count - start);
                network.Predict(images.Slice(start * info.InputSize, n * info.InputSize), n, probabilities);
                for (int i = 0; i < n; i++) classes[start + i] = ArgMax(probabilities.AsSpan(i * k, k));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(probabilities);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static string ShapeOf(NetworkInfo info) => info.Channels == 1 && info.Height == 1
        ? $"{info.Width}" : $"{info.Channels}×{info.Height}×{info.Width}";
}
