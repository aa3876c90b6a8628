using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics.Tensors;

namespace Dsl.Data;

/// <summary>Images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/>×<see cref="Columns"/>.
/// </summary>
/// <param name="Pixels">Row-major count×rows×columns pixels, each byte scaled to [0, 1] as <c>pixel / 255f</c>.
/// </param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height.</param>
/// <param name="Columns">Image width.</param>
public sealed record IdxImages(float[] Pixels, int Count, int Rows, int Columns);

/// <summary>
/// Reads unsigned-byte IDX files, the format of MNIST: a big-endian header (two zero bytes, type code 0x08, rank, then
/// one 32-bit size per dimension) followed by the bytes. Files may be raw or gzip-compressed; gzip is recognised by
/// its magic bytes, whatever the file is called.
/// </summary>
/// <remarks>
/// Every problem with the contents is a <see cref="DataFormatException"/> naming the file and the problem; the header
/// is checked against the bytes actually present before anything is allocated from its sizes, so a hostile header
/// cannot cause an out-of-memory or out-of-range error. A missing or unreadable file raises the usual
/// <see cref="IOException"/> from opening it.
/// </remarks>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;
    // A gzip body's real size is unknown until read, so its buffer starts at this and doubles only as data arrives.
    private const int InitialGzipBuffer = 1 << 20;

    private static readonly string[] ImageDimensions = ["image count", "row count", "column count"];
    private static readonly string[] LabelDimensions = ["label count"];

    /// <summary>Reads a rank-3 IDX file of images (magic 0x00000803).</summary>
    /// <exception cref="DataFormatException">The file is not a valid unsigned-byte rank-3 IDX file.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var source = IdxSource.Open(path);
        int[] sizes = ReadSizes(source, ImageDimensions, "image");
        (int count, int rows, int columns) = (sizes[0], sizes[1], sizes[2]);
        byte[] bytes = ReadBody(source, (Int128)count * rows * columns, $"{count} images of {rows}×{columns}");

        var pixels = new float[bytes.Length];
        TensorPrimitives.ConvertChecked<byte, float>(bytes, pixels);
        TensorPrimitives.Divide(pixels, 255f, pixels);
        return new IdxImages(pixels, count, rows, columns);
    }

    /// <summary>Reads a rank-1 IDX file of labels (magic 0x00000801).</summary>
    /// <exception cref="DataFormatException">The file is not a valid unsigned-byte rank-1 IDX file.</exception>
    public static int[] ReadLabels(string path)
    {
        using var source = IdxSource.Open(path);
        int count = ReadSizes(source, LabelDimensions, "label")[0];
        byte[] bytes = ReadBody(source, count, $"{count} labels");

        var labels = new int[bytes.Length];
        TensorPrimitives.ConvertChecked<byte, int>(bytes, labels);
        return labels;
    }

    /// <summary>Reads and checks the header, returning one positive size per dimension.</summary>
    private static int[] ReadSizes(IdxSource source, string[] dimensions, string kind)
    {
        int rank = dimensions.Length;
        int headerLength = 4 + 4 * rank;
        Span<byte> header = stackalloc byte[headerLength];
        int read = source.ReadAtMost(header);
        if (read == 0)
            throw source.Error("the file is empty; expected an IDX header");
        if (read < 4)
            throw source.Error($"truncated header: only {read} of the {headerLength} header bytes are present");

        if (header[0] != 0 || header[1] != 0)
            throw source.Error($"not an IDX file: magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8} " +
                               "does not start with two zero bytes");
        if (header[2] != UnsignedByteType)
            throw source.Error($"IDX data type 0x{header[2]:X2} ({TypeName(header[2])}) is not supported; " +
                               "only 0x08 (unsigned byte) is");
        if (header[3] != rank)
            throw source.Error($"IDX rank is {header[3]} but {kind} files have rank {rank} " +
                               $"({string.Join(", ", dimensions)})");
        if (read < headerLength)
            throw source.Error($"truncated header: only {read} of the {headerLength} header bytes are present");

        var sizes = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            sizes[i] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * i)..]);
            if (sizes[i] <= 0)
                throw source.Error($"the {dimensions[i]} in the header is {sizes[i]}; every size must be positive");
        }
        return sizes;
    }

    /// <summary>Reads exactly <paramref name="expected"/> bytes and checks that nothing follows them.</summary>
    /// <param name="description">What the header promises, for messages, e.g. "60000 images of 28×28".</param>
    private static byte[] ReadBody(IdxSource source, Int128 expected, string description)
    {
        if (source.RemainingBytes is long available && expected > available)
            throw source.Error($"header says {description} ({expected} bytes) but only {available} bytes follow");
        if (expected > Array.MaxLength)
            throw source.Error($"header says {description} ({expected} bytes), more than the {Array.MaxLength} " +
                               "bytes one array can hold");

        int length = (int)expected;
        var body = new byte[source.RemainingBytes is null ? Math.Min(length, InitialGzipBuffer) : length];
        int filled = 0;
        while (true)
        {
            filled += source.ReadAtMost(body.AsSpan(filled));
            if (filled < body.Length || filled == length)
                break; // end of data, or all of it
            Array.Resize(ref body, (int)Math.Min(2L * body.Length, length));
        }
        if (filled < length)
            throw source.Error($"header says {description} ({expected} bytes) but only {filled} bytes follow");

        long trailing = source.CountRemaining();
        if (trailing > 0)
            throw source.Error($"{trailing} trailing bytes follow the {expected} bytes the header describes " +
                               $"({description})");
        return body;
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "unknown",
    };

    /// <summary>An open IDX file, raw or decompressing, that turns gzip corruption into named errors.</summary>
    private sealed class IdxSource : IDisposable
    {
        private readonly string path;
        private readonly Stream stream;
        private readonly FileStream? rawFile; // null when decompressing: then the remaining length is unknown

        private IdxSource(string path, Stream stream, FileStream? rawFile) =>
            (this.path, this.stream, this.rawFile) = (path, stream, rawFile);

        public static IdxSource Open(string path)
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            try
            {
                Span<byte> magic = stackalloc byte[2];
                bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 &&
                            magic[0] == 0x1f && magic[1] == 0x8b;
                file.Position = 0;
                return gzip
                    ? new IdxSource(path, new GZipStream(file, CompressionMode.Decompress), rawFile: null)
                    : new IdxSource(path, file, file);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Bytes left in a raw file; null for gzip, whose size is only known once decompressed.</summary>
        public long? RemainingBytes => rawFile is null ? null : rawFile.Length - rawFile.Position;

        /// <summary>Fills <paramref name="buffer"/> unless the data ends first; returns the bytes read.</summary>
        public int ReadAtMost(Span<byte> buffer)
        {
            try
            {
                return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e)
            {
                throw Error($"corrupt gzip data ({e.Message})", e);
            }
        }

        /// <summary>Counts the bytes left, reading through them when the stream is compressed.</summary>
        public long CountRemaining()
        {
            if (RemainingBytes is long remaining)
                return remaining;
            Span<byte> discard = stackalloc byte[4096];
            long total = 0;
            for (int read; (read = ReadAtMost(discard)) > 0;)
                total += read;
            return total;
        }

        public DataFormatException Error(string problem, Exception? cause = null) => new($"{path}: {problem}", cause);

        public void Dispose() => stream.Dispose();
    }
}
