using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Dsl.Tests.Data;

/// <summary>A temporary folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("dsl-data-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Builds IDX files, data folders and npm-style package tarballs in memory.</summary>
internal static class IdxTestData
{
    /// <summary>An IDX file with the given type code, sizes (whose count is the rank) and body.</summary>
    public static byte[] Idx(byte type, int[] sizes, byte[] body)
    {
        var bytes = new byte[4 + 4 * sizes.Length + body.Length];
        bytes[2] = type;
        bytes[3] = (byte)sizes.Length;
        for (int i = 0; i < sizes.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), sizes[i]);
        body.CopyTo(bytes, 4 + 4 * sizes.Length);
        return bytes;
    }

    public static byte[] Images(int count, int rows, int columns, byte[] pixels) =>
        Idx(0x08, [count, rows, columns], pixels);

    public static byte[] Labels(params byte[] labels) => Idx(0x08, [labels.Length], labels);

    /// <summary>Deterministic pixels covering 0 and 255 and values in between.</summary>
    public static byte[] Pixels(int length) =>
        Enumerable.Range(0, length).Select(i => (byte)(i == 1 ? 255 : i * 37 % 256)).ToArray();

    public static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
            gzip.Write(bytes);
        return buffer.ToArray();
    }

    /// <summary>The four MNIST-named files of a small set: <paramref name="trainLabels"/> and
    /// <paramref name="testLabels"/> with 2×3 images whose first pixel is the example's index.</summary>
    public static Dictionary<string, byte[]> FolderFiles(byte[] trainLabels, byte[] testLabels) => new()
    {
        ["train-images-idx3-ubyte"] = Images(trainLabels.Length, 2, 3, IndexedPixels(trainLabels.Length, 6)),
        ["train-labels-idx1-ubyte"] = Labels(trainLabels),
        ["t10k-images-idx3-ubyte"] = Images(testLabels.Length, 2, 3, IndexedPixels(testLabels.Length, 6)),
        ["t10k-labels-idx1-ubyte"] = Labels(testLabels),
    };

    public static void WriteAll(string folder, IEnumerable<KeyValuePair<string, byte[]>> files)
    {
        foreach ((string name, byte[] bytes) in files)
            System.IO.File.WriteAllBytes(Path.Combine(folder, name), bytes);
    }

    /// <summary>A gzip-compressed tar archive of the given entries, as <c>npm pack</c> makes.</summary>
    public static byte[] Tarball(IEnumerable<KeyValuePair<string, byte[]>> entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar))
            foreach ((string name, byte[] bytes) in entries)
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(bytes),
                });
        return buffer.ToArray();
    }

    public static string Integrity(byte[] bytes) => "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes));

    private static byte[] IndexedPixels(int count, int features)
    {
        var pixels = new byte[count * features];
        for (int i = 0; i < count; i++)
            pixels[i * features] = (byte)i;
        return pixels;
    }
}
