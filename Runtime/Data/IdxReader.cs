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
/// cannot cause an out-of-memory or out-of-range error. A gzip file must end with the trailer of its last member
/// (which holds the length and CRC-32 the decompressor checks): one cut short or followed by other bytes is refused
/// too. A missing or unreadable file raises the usual <see cref="IOException"/> from opening it
/// (<see cref="FileNotFoundException"/> for a folder of that name).
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
        if (read < headerLength)
            source.CheckEnd(); // a gzip file cut short says so, rather than that its contents are short
        if (read == 0)
            throw source.Error(source.IsCompressed
                ? "the gzip data decompresses to nothing; expected an IDX header"
                : "the file is empty; expected an IDX header");
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
        {
            source.CheckEnd();
            throw source.Error($"header says {description} ({expected} bytes) but only {filled} bytes follow");
        }

        long trailing = source.CountRemaining();
        if (trailing > 0)
            throw source.Error($"{trailing} trailing bytes follow the {expected} bytes the header describes " +
                               $"({description})");
        source.CheckEnd();
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
        private const int GzipHeaderAndTrailer = 18; // 10 header bytes, 8 trailer bytes: the least a gzip file has

        private readonly string path;
        private readonly FileStream file;
        private readonly Stream stream; // the file itself, or a GZipStream reading it
        private long decompressed; // bytes the GZipStream has produced

        private IdxSource(string path, FileStream file, Stream stream) =>
            (this.path, this.file, this.stream) = (path, file, stream);

        public static IdxSource Open(string path)
        {
            // Opening a folder fails with "access denied", which is neither true nor an IOException.
            if (Directory.Exists(path))
                throw new FileNotFoundException($"{path} is a folder, not a file", path);
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            try
            {
                Span<byte> magic = stackalloc byte[2];
                bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 &&
                            magic[0] == 0x1f && magic[1] == 0x8b;
                file.Position = 0;
                return new IdxSource(path, file, gzip ? new GZipStream(file, CompressionMode.Decompress) : file);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Whether the file is gzip-compressed.</summary>
        public bool IsCompressed => stream != file;

        /// <summary>Bytes left in a raw file; null for gzip, whose size is only known once decompressed.</summary>
        public long? RemainingBytes => IsCompressed ? null : file.Length - file.Position;

        /// <summary>Fills <paramref name="buffer"/> unless the data ends first; returns the bytes read.</summary>
        public int ReadAtMost(Span<byte> buffer)
        {
            try
            {
                int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                decompressed += read;
                return read;
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

        /// <summary>
        /// Once the decompressed data has ended, checks that the gzip file really ended there: GZipStream stops
        /// without complaint when the file is cut short anywhere after the last byte it needed, or when other bytes
        /// follow the compressed data, and then the CRC that would have caught damage was never checked. The file
        /// must end with a trailer whose length matches what was decompressed (for a file of several gzip members,
        /// the last member's length and CRC-32). Does nothing for a raw file.
        /// </summary>
        public void CheckEnd()
        {
            if (!IsCompressed)
                return;
            long length = file.Length;
            if (length < GzipHeaderAndTrailer)
                throw Error($"the gzip data is cut short: {length} bytes cannot hold a gzip header and trailer");

            Span<byte> trailer = stackalloc byte[8];
            RandomAccess.Read(file.SafeFileHandle, trailer, length - 8);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
            // Single-member files (nearly all) pass on the length alone; the CRC is read only for the rest. An empty
            // last member cannot be told from zero padding, so it is refused with it.
            if (size == (uint)decompressed || (size > 0 && size < decompressed && Crc32OfLast(size) == crc))
                return;
            throw Error($"the gzip data does not end with its trailer after {decompressed} decompressed bytes: the " +
                        "file is cut short, or other bytes follow the compressed data");
        }

        /// <summary>The CRC-32 of the last <paramref name="count"/> decompressed bytes, read again from the
        /// start.</summary>
        private uint Crc32OfLast(uint count)
        {
            using var again = new GZipStream(
                new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16),
                CompressionMode.Decompress);
            var buffer = new byte[1 << 16];
            long skip = decompressed - count;
            uint crc = 0xFFFFFFFF;
            for (int read; (read = again.Read(buffer)) > 0;)
            {
                int start = (int)Math.Min(skip, read);
                skip -= start;
                foreach (byte b in buffer.AsSpan(start, read - start))
                {
                    crc ^= b;
                    for (int bit = 0; bit < 8; bit++)
                        crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
                }
            }
            return ~crc;
        }

        public DataFormatException Error(string problem, Exception? cause = null) => new($"{path}: {problem}", cause);

        public void Dispose() => stream.Dispose();
    }
}
