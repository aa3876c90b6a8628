using Dsl.Visualization;
using SkiaSharp;
using Xunit;

namespace Dsl.Tests.Visualization;

/// <summary>PNG tiles written through SkiaSharp (which must load its native library here) and decoded back.</summary>
public sealed class ImageTilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dsl-tiles-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Decodes a PNG into gray bytes, row-major, checking that it is a grayscale PNG.</summary>
    private static (int Width, int Height, byte[] Gray) Decode(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        // IHDR's colour type (byte 25): 0 is grayscale; its bit depth (byte 24): 8.
        Assert.Equal(0, bytes[25]);
        Assert.Equal(8, bytes[24]);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        var gray = new byte[bitmap.Width * bitmap.Height];
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                SKColor c = bitmap.GetPixel(x, y);
                Assert.True(c.Red == c.Green && c.Green == c.Blue);
                gray[y * bitmap.Width + x] = c.Red;
            }
        return (bitmap.Width, bitmap.Height, gray);
    }

    [Fact]
    public void SkiaSharp_loads_its_native_library()
    {
        using var bitmap = new SKBitmap(2, 2);
        Assert.True(SkiaSharpVersion.Native.Major > 0);
    }

    [Fact]
    public void A_grid_of_known_images_decodes_back()
    {
        // Five 3×4 images in 2 columns, 1 pixel apart: 3 rows of tiles, 2·4 + 1 = 9 wide, 3·3 + 2 = 11 high.
        const int count = 5, height = 3, width = 4, columns = 2;
        var images = new float[count * height * width];
        for (int n = 0; n < count; n++)
            for (int p = 0; p < height * width; p++) images[n * height * width + p] = 10 * n + p; // a ramp 0..11 per image
        string path = Path.Combine(_folder, "tiles.png");
        ImageTiles.SavePng(path, images, count, height, width, columns);

        var (w, h, gray) = Decode(path);
        Assert.Equal((9, 11), (w, h));
        // Spacing: column 4 and rows 3 and 7 are black; so is the missing sixth tile (bottom right).
        for (int y = 0; y < h; y++) Assert.Equal(0, gray[y * w + 4]);
        for (int x = 0; x < w; x++) Assert.Equal(0, gray[3 * w + x] + gray[7 * w + x]);
        for (int y = 8; y < 11; y++)
            for (int x = 5; x < 9; x++) Assert.Equal(0, gray[y * w + x]);
        // Each tile scaled by its own range: pixel p of the ramp is round(255·p/11).
        byte Expected(int p) => (byte)Math.Round(255.0 * p / 11, MidpointRounding.AwayFromZero);
        foreach (var (tile, top, left) in new[] { (0, 0, 0), (1, 0, 5), (2, 4, 0), (3, 4, 5), (4, 8, 0) })
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    Assert.True(Expected(y * width + x) == gray[(top + y) * w + left + x], $"tile {tile} ({y}, {x})");

        // Unscaled: values clamped to [0, 1]; a larger spacing; overwriting the file.
        float[] raw = [-1f, 0f, 0.5f, 1f, 2f, 0.25f];
        ImageTiles.SavePng(path, raw, 3, 1, 2, 3, scaleEachToUnitInterval: false, spacing: 2);
        (w, h, gray) = Decode(path);
        Assert.Equal((10, 1), (w, h));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 128, 255, 0, 0, 255, 64 }, gray);
        Assert.Single(Directory.GetFiles(_folder)); // no temporary file left behind
    }

    [Fact]
    public void Weights_are_tiled_as_one_filter_per_hidden_unit()
    {
        // W (visible = 2×3 = 6, hidden = 4): hidden unit j's filter is the ramp W[i, j] = i·(j + 1), or its negative for j = 2.
        const int visible = 6, hidden = 4;
        var weights = new float[visible * hidden];
        for (int i = 0; i < visible; i++)
            for (int j = 0; j < hidden; j++) weights[i * hidden + j] = (j == 2 ? -1 : 1) * i * (j + 1);
        string path = Path.Combine(_folder, "filters.png");
        ImageTiles.SaveWeightsAsFilters(path, weights, visible, hidden, 2, 3, filters: 3, columns: 3);

        var (w, h, gray) = Decode(path);
        Assert.Equal((3 * 3 + 2, 2), (w, h));
        byte[] ramp = [0, 51, 102, 153, 204, 255]; // i/5 scaled
        for (int filter = 0; filter < 3; filter++)
            for (int i = 0; i < visible; i++)
            {
                byte expected = filter == 2 ? ramp[visible - 1 - i] : ramp[i];
                Assert.Equal(expected, gray[i / 3 * w + filter * 4 + i % 3]);
            }
        Assert.Equal(0, gray[3]);
        Assert.Equal(0, gray[w + 7]);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        string path = Path.Combine(_folder, "x.png");
        var images = new float[24];
        Assert.Throws<ArgumentException>(() => ImageTiles.SavePng(path, images, 3, 3, 3, 2)); // 27 values needed
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTiles.SavePng(path, images, 0, 2, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTiles.SavePng(path, images, 2, 2, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTiles.SavePng(path, images, 2, 2, 2, 1, spacing: -1));
        Assert.Throws<ArgumentException>(() => ImageTiles.SavePng(" ", images, 2, 2, 2, 1));
        Assert.Throws<ArgumentException>(() => ImageTiles.SaveWeightsAsFilters(path, images, 6, 4, 2, 2, 2, 2)); // 2×2 ≠ 6
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTiles.SaveWeightsAsFilters(path, images, 6, 4, 2, 3, 5, 2));
        Assert.Throws<ArgumentException>(() => ImageTiles.SaveWeightsAsFilters(path, images, 6, 5, 2, 3, 2, 2)); // 30 needed
        Assert.Throws<DirectoryNotFoundException>(() => ImageTiles.SavePng(Path.Combine(_folder, "missing", "x.png"), images, 2, 2, 2, 1));
        Assert.Empty(Directory.GetFiles(_folder));
    }
}
