using SkiaSharp;

namespace Dsl.Visualization;

/// <summary>
/// Grids of small grayscale images written as 8-bit grayscale PNG files: a batch of inputs or reconstructions, or the
/// filters an RBM or a dense layer has learnt (each hidden unit's weights as an image), in the manner of the Deep
/// Learning Tutorials' tile_raster_images. Encoding is SkiaSharp's.
/// </summary>
public static class ImageTiles
{
    /// <summary>
    /// Tiles <paramref name="count"/> images of <paramref name="height"/>×<paramref name="width"/> pixels (row-major,
    /// one after another in <paramref name="images"/>) left to right, top to bottom into a grid of
    /// <paramref name="columns"/> columns and ⌈count/columns⌉ rows, <paramref name="spacing"/> black pixels between
    /// neighbouring tiles (none around the edge), and writes it to <paramref name="path"/> as an 8-bit grayscale PNG.
    /// </summary>
    /// <param name="scaleEachToUnitInterval">Scale each image by its own minimum and maximum to [0, 1] (a constant
    /// image becomes black); otherwise values are taken as they are, clamped to [0, 1]. Either way 0 is black and 1 is
    /// white, v becoming the byte round(255·v). NaN shows as black.</param>
    /// <remarks>The file is written to a temporary file in the same folder and then moved over
    /// <paramref name="path"/>, so a reader never sees half a file.</remarks>
    /// <exception cref="ArgumentException">A size is not positive, the spacing is negative, the images hold fewer than
    /// count·height·width values, or the picture would be too large.</exception>
    public static void SavePng(string path, ReadOnlySpan<float> images, int count, int height, int width, int columns,
        bool scaleEachToUnitInterval = true, int spacing = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(spacing);
        long pixels = (long)height * width, required = count * pixels;
        if (images.Length < required)
            throw new ArgumentException(
                $"{count} images of {height}×{width} need {required} values; the span holds {images.Length}.", nameof(images));

        int rows = (count + columns - 1) / columns;
        long gridWidth = columns * (width + (long)spacing) - spacing, gridHeight = rows * (height + (long)spacing) - spacing;
        // Skia's limits: a side fits in an int and rows of bytes index within an int.
        if (gridWidth * gridHeight > int.MaxValue / 2)
            throw new ArgumentException($"A {gridWidth}×{gridHeight} picture is too large.", nameof(count));

        var info = new SKImageInfo((int)gridWidth, (int)gridHeight, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Span<byte> canvas = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes;
        canvas.Clear(); // the spacing is black
        for (int image = 0; image < count; image++)
        {
            ReadOnlySpan<float> values = images.Slice((int)(image * pixels), (int)pixels);
            float offset = 0f, scale = 1f;
            if (scaleEachToUnitInterval)
            {
                float min = float.PositiveInfinity, max = float.NegativeInfinity;
                foreach (float v in values)
                {
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
                offset = min;
                scale = max > min ? 1f / (max - min) : 0f;
            }
            int top = image / columns * (height + spacing), left = image % columns * (width + spacing);
            for (int y = 0; y < height; y++)
            {
                Span<byte> line = canvas.Slice((top + y) * stride + left, width);
                ReadOnlySpan<float> source = values.Slice(y * width, width);
                for (int x = 0; x < width; x++) line[x] = ToByte((source[x] - offset) * scale);
            }
        }

        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the picture as PNG.");
        WriteAtomically(path, png.AsSpan());
    }

    /// <summary>
    /// Writes the filters of a weight matrix W (visible, hidden), row-major as <see cref="Layers.Dense"/> and
    /// <see cref="Layers.Rbm"/> keep it: hidden unit j's incoming weights W[·, j] as a <paramref name="height"/>×
    /// <paramref name="width"/> image, for the first <paramref name="filters"/> hidden units, each scaled to [0, 1] by its
    /// own range, tiled as <see cref="SavePng"/> does with one pixel of spacing.
    /// </summary>
    /// <exception cref="ArgumentException">visible ≠ height·width, filters is not in [1, hidden], or the weights hold
    /// fewer than visible·hidden values.</exception>
    public static void SaveWeightsAsFilters(string path, ReadOnlySpan<float> weights, int visibleUnits, int hiddenUnits,
        int height, int width, int filters, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(visibleUnits, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenUnits, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if ((long)height * width != visibleUnits)
            throw new ArgumentException($"A {height}×{width} filter has {(long)height * width} pixels, not the {visibleUnits} visible units.",
                nameof(visibleUnits));
        if (filters < 1 || filters > hiddenUnits)
            throw new ArgumentOutOfRangeException(nameof(filters), filters, $"The number of filters must lie in [1, {hiddenUnits}].");
        long required = (long)visibleUnits * hiddenUnits;
        if (weights.Length < required)
            throw new ArgumentException($"W ({visibleUnits}×{hiddenUnits}) needs {required} values; the span holds {weights.Length}.",
                nameof(weights));

        var images = new float[(long)filters * visibleUnits];
        for (int j = 0; j < filters; j++)
            for (int i = 0; i < visibleUnits; i++)
                images[(long)j * visibleUnits + i] = weights[i * hiddenUnits + j];
        SavePng(path, images, filters, height, width, columns);
    }

    private static byte ToByte(float unit) =>
        unit >= 1f ? (byte)255 : unit > 0f ? (byte)(unit * 255f + 0.5f) : (byte)0; // NaN fails both tests: black

    private static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"{path} names no file.", nameof(path));
        string temporary = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the first failure is the one to report
            throw;
        }
    }
}
