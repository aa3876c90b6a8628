using Dsl.Data;
using Xunit;
using static Dsl.Tests.Data.IdxTestData;

namespace Dsl.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("images-idx3-ubyte", false)]
    [InlineData("images-idx3-ubyte.gz", true)]
    [InlineData("images-without-suffix", true)] // gzip is found by its magic bytes, not the name
    [InlineData("raw-despite-name.gz", false)]
    public void ReadsImagesExactly(string name, bool gzip)
    {
        byte[] pixels = Pixels(3 * 2 * 4);
        byte[] file = Images(3, 2, 4, pixels);
        string path = temp.File(name);
        File.WriteAllBytes(path, gzip ? Gzip(file) : file);

        IdxImages images = IdxReader.ReadImages(path);

        Assert.Equal((3, 2, 4), (images.Count, images.Rows, images.Columns));
        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), images.Pixels);
        Assert.Contains(0f, images.Pixels);
        Assert.Contains(1f, images.Pixels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsLabelsExactly(bool gzip)
    {
        byte[] file = Labels(5, 0, 4, 1, 9, 255);
        string path = temp.File("labels-idx1-ubyte");
        File.WriteAllBytes(path, gzip ? Gzip(file) : file);

        Assert.Equal([5, 0, 4, 1, 9, 255], IdxReader.ReadLabels(path));
    }

    [Fact]
    public void ReadsLargeBodiesThatOutgrowTheFirstGzipBuffer()
    {
        byte[] pixels = Pixels(3_000 * 28 * 28); // 2.35 MB: the decompression buffer has to grow twice
        string path = temp.File("big.gz");
        File.WriteAllBytes(path, Gzip(Images(3_000, 28, 28, pixels)));

        IdxImages images = IdxReader.ReadImages(path);

        Assert.Equal(3_000, images.Count);
        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), images.Pixels);
    }

    /// <summary>Concatenated gzip members are one valid gzip file (what <c>cat a.gz b.gz</c> makes): the end check
    /// that catches a cut-off trailer must accept them, through the last member's own length and CRC.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsGzipOfSeveralMembers(int members)
    {
        byte[] pixels = Pixels(40 * 5 * 5);
        byte[] file = Images(40, 5, 5, pixels);
        int part = file.Length / members;
        byte[] compressed = Enumerable.Range(0, members)
            .SelectMany(m => Gzip(file[(m * part)..(m == members - 1 ? file.Length : (m + 1) * part)])).ToArray();
        string path = temp.File("members-idx3-ubyte.gz");
        File.WriteAllBytes(path, compressed);

        IdxImages images = IdxReader.ReadImages(path);

        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), images.Pixels);
        File.WriteAllBytes(path, compressed[..^1]); // and the same file cut short is still caught
        var error = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        Assert.Contains("the gzip data does not end with its trailer", error.Message);
    }

    private static readonly byte[] ValidImages = Images(3, 2, 2, Pixels(12));

    private static byte[] WithByte(byte[] bytes, int index, byte value)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    /// <summary>Broken image files: a case name, the raw contents, and the phrase the message must contain. Each is
    /// also tried gzip-compressed (see <see cref="BrokenGzipImageFiles"/>).</summary>
    public static TheoryData<string, byte[], string> BrokenImageFiles => new()
    {
        { "empty", [], "the file is empty" },
        { "three bytes", [0, 0, 8], "truncated header: only 3 of the 16 header bytes" },
        { "header cut in the sizes", ValidImages[..10], "truncated header: only 10 of the 16 header bytes" },
        { "wrong magic", WithByte(ValidImages, 0, 0x12), "not an IDX file: magic number 0x12000803" },
        { "png signature", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not an IDX file" },
        { "float data", WithByte(ValidImages, 2, 0x0D), "IDX data type 0x0D (32-bit float) is not supported" },
        { "rank 1", Labels(1, 2, 3), "IDX rank is 1 but image files have rank 3" },
        { "rank 4", Idx(0x08, [1, 1, 1, 1], [7]), "IDX rank is 4 but image files have rank 3" },
        { "zero images", Images(0, 2, 2, []), "the image count in the header is 0; every size must be positive" },
        { "zero rows", Images(3, 0, 2, []), "the row count in the header is 0" },
        { "negative columns", Images(3, 2, -5, []), "the column count in the header is -5" },
        {
            "size above 2^31", Images(unchecked((int)0x80000000u), 2, 2, []),
            "the image count in the header is -2147483648"
        },
        {
            "overflowing sizes", Images(int.MaxValue, int.MaxValue, int.MaxValue, []),
            "header says 2147483647 images of 2147483647×2147483647 (9903520300447984150353281023 bytes) " +
            "but only 0 bytes follow"
        },
        {
            "truncated body", Images(3, 2, 2, Pixels(5)),
            "header says 3 images of 2×2 (12 bytes) but only 5 bytes follow"
        },
        { "trailing bytes", [.. ValidImages, 1, 2, 3], "3 trailing bytes follow the 12 bytes the header describes" },
    };

    [Theory]
    [MemberData(nameof(BrokenImageFiles))]
    public void RejectsBrokenRawImageFiles(string @case, byte[] contents, string phrase)
    {
        _ = @case; // only names the row in test listings
        AssertRejected(contents, "train-images-idx3-ubyte", phrase, IdxReader.ReadImages);
    }

    /// <summary>The same files gzip-compressed. Only an oversized header reads differently: a compressed body's
    /// size is unknown until read, so the limit on what one array holds is checked first.</summary>
    public static TheoryData<string, byte[], string> BrokenGzipImageFiles()
    {
        var cases = new TheoryData<string, byte[], string>();
        foreach (var row in BrokenImageFiles)
        {
            (string name, byte[] contents, string phrase) = ((string)row[0], (byte[])row[1], (string)row[2]);
            if (name == "overflowing sizes")
                phrase = "(9903520300447984150353281023 bytes), more than the 2147483591 bytes one array can hold";
            cases.Add(name, Gzip(contents), phrase);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(BrokenGzipImageFiles))]
    public void RejectsBrokenGzipImageFiles(string @case, byte[] contents, string phrase)
    {
        _ = @case;
        AssertRejected(contents, "train-images-idx3-ubyte.gz", phrase, IdxReader.ReadImages);
    }

    public static TheoryData<string, byte[], string> BrokenLabelFiles => new()
    {
        { "images instead of labels", ValidImages, "IDX rank is 3 but label files have rank 1" },
        { "zero labels", Labels(), "the label count in the header is 0" },
        { "truncated header", Labels(1, 2)[..6], "truncated header: only 6 of the 8 header bytes" },
        { "truncated body", Idx(0x08, [10], [1, 2, 3]), "header says 10 labels (10 bytes) but only 3 bytes follow" },
        { "trailing bytes", [.. Labels(1, 2), 0], "1 trailing bytes follow the 2 bytes the header describes" },
        { "signed bytes", WithByte(Labels(1), 2, 0x09), "IDX data type 0x09 (signed byte) is not supported" },
    };

    [Theory]
    [MemberData(nameof(BrokenLabelFiles))]
    public void RejectsBrokenLabelFiles(string @case, byte[] contents, string phrase)
    {
        _ = @case;
        AssertRejected(contents, "train-labels-idx1-ubyte", phrase, IdxReader.ReadLabels);
        AssertRejected(Gzip(contents), "train-labels-idx1-ubyte.gz", phrase, IdxReader.ReadLabels);
    }

    [Fact]
    public void RejectsCorruptGzip()
    {
        byte[] corrupt = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        AssertRejected(corrupt, "t10k-images-idx3-ubyte.gz", "corrupt gzip data", IdxReader.ReadImages);
    }

    [Fact]
    public void RejectsGzipCutShort()
    {
        byte[] compressed = Gzip(Images(50, 4, 4, Pixels(800)));
        string path = temp.File("cut-idx3-ubyte.gz");
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);

        var error = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith(path + ": ", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HostileSizesAllocateNothingBig(bool gzip)
    {
        // Claims 2 GB of images (just under the array limit) but carries 12 bytes.
        byte[] file = Images(2_000_000, 1_000, 1, Pixels(12));
        string path = temp.File("hostile");
        File.WriteAllBytes(path, gzip ? Gzip(file) : file);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("(2000000000 bytes) but only 12 bytes follow", error.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void MissingFileIsAnIOException()
    {
        string path = temp.File("absent-idx3-ubyte");
        var error = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, error.Message);
    }

    private void AssertRejected(byte[] contents, string fileName, string phrase, Func<string, object> read)
    {
        string path = temp.File(fileName);
        File.WriteAllBytes(path, contents);

        var error = Assert.Throws<DataFormatException>(() => read(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(phrase, error.Message);
    }
}
