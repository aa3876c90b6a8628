namespace Dsl.Data;

/// <summary>
/// A labelled set of single-channel images: <see cref="Count"/> examples of <see cref="Features"/> pixels each, with
/// one class label per example.
/// </summary>
/// <remarks>
/// The set never changes after construction. The arrays are handed out as they are, without copying, so that training
/// can read them at full speed: treat them as read-only.
/// </remarks>
public sealed class Dataset
{
    /// <summary>Wraps existing arrays (not copied) after checking that they fit together.</summary>
    /// <param name="images">Row-major count×height×width pixels.</param>
    /// <param name="labels">One label per image, each in [0, <paramref name="classes"/>).</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="classes">Number of classes.</param>
    public Dataset(float[] images, int[] labels, int height, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if ((long)labels.Length * height * width != images.Length)
            throw new ArgumentException(
                $"{labels.Length} labels need {(long)labels.Length * height * width} pixels of {height}×{width} " +
                $"images, but there are {images.Length}", nameof(images));
        if (FindLabelOutOfRange(labels, classes) is int index)
            throw new ArgumentOutOfRangeException(nameof(labels),
                $"label {labels[index]} at index {index} is out of range for {classes} classes (0–{classes - 1})");

        Images = images;
        Labels = labels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>Row-major <see cref="Count"/>×<see cref="Features"/> pixels in [0, 1]; read-only by
    /// convention.</summary>
    public float[] Images { get; }

    /// <summary>The class of each example, in [0, <see cref="Classes"/>); read-only by convention.</summary>
    public int[] Labels { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image: always 1 (grey scale).</summary>
    public int Channels => 1;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Values per example: <see cref="Channels"/>×<see cref="Height"/>×<see cref="Width"/>.</summary>
    public int Features => Height * Width;

    /// <summary>Number of classes; every label is below it.</summary>
    public int Classes { get; }

    /// <summary>A copy of the examples <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/>,
    /// with the same <see cref="Classes"/>.</summary>
    public Dataset Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(count),
                $"examples {start} to {(long)start + count} are past the end of a set of {Count}");
        return new Dataset(Images.AsSpan(start * Features, count * Features).ToArray(),
            Labels.AsSpan(start, count).ToArray(), Height, Width, Classes);
    }

    /// <summary>Reads an IDX image file and its IDX label file.</summary>
    /// <param name="imagesPath">Rank-3 IDX images, raw or gzip.</param>
    /// <param name="labelsPath">Rank-1 IDX labels, raw or gzip, one per image.</param>
    /// <param name="classes">Number of classes; when null, the largest label + 1.</param>
    /// <exception cref="DataFormatException">A file is malformed, the counts differ, or a label is not below
    /// <paramref name="classes"/>.</exception>
    public static Dataset Load(string imagesPath, string labelsPath, int? classes = null)
    {
        if (classes is int given)
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(given, nameof(classes));

        IdxImages images = IdxReader.ReadImages(imagesPath);
        int[] labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new DataFormatException($"{imagesPath} has {images.Count} images but {labelsPath} has " +
                                          $"{labels.Length} labels; they must match one to one");

        int resolvedClasses = classes ?? labels.Max() + 1;
        if (FindLabelOutOfRange(labels, resolvedClasses) is int index)
            throw new DataFormatException($"{labelsPath}: label {labels[index]} at index {index} is out of range " +
                                          $"for {resolvedClasses} classes (0–{resolvedClasses - 1})");
        return new Dataset(images.Pixels, labels, images.Rows, images.Columns, resolvedClasses);
    }

    /// <summary>The same examples (shared, not copied) with a different class count.</summary>
    internal Dataset WithClasses(int classes) => new(Images, Labels, Height, Width, classes);

    private static int? FindLabelOutOfRange(int[] labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                return i;
        return null;
    }
}
