using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Dsl.Onnx;

/// <summary>
/// Writes one protocol-buffers message in the binary wire format: varint fields (wire type 0) and length-delimited
/// fields (wire type 2: strings, bytes, nested messages). That is all the ONNX messages the exporter writes need.
/// Fields are written in the order the calls make; repeated scalars are written unpacked, one tag per element, which
/// is the proto2 default and what every parser reads.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0, WireLengthDelimited = 2;
    private readonly MemoryStream _buffer = new();

    /// <summary>Bytes written so far.</summary>
    public long Length => _buffer.Length;

    /// <summary>An int32, int64, enum or bool field. Negative values take ten bytes, as protobuf's int64 encoding says.</summary>
    public ProtoWriter Varint(int field, long value)
    {
        Tag(field, WireVarint);
        RawVarint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A repeated int64 field, one element after another.</summary>
    public ProtoWriter Varints(int field, IEnumerable<long> values)
    {
        foreach (long value in values) Varint(field, value);
        return this;
    }

    /// <summary>A string field, UTF-8.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        RawVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>A bytes field holding float32 values, little-endian (an ONNX tensor's raw_data).</summary>
    public ProtoWriter Floats(int field, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian) return Bytes(field, MemoryMarshal.AsBytes(values));
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return Bytes(field, bytes);
    }

    /// <summary>An embedded message field, written by <paramref name="write"/> into a writer of its own.</summary>
    public ProtoWriter Message(int field, Action<ProtoWriter> write)
    {
        var message = new ProtoWriter();
        write(message);
        Tag(field, WireLengthDelimited);
        RawVarint((ulong)message._buffer.Length);
        message._buffer.Position = 0;
        message._buffer.CopyTo(_buffer);
        return this;
    }

    /// <summary>Copies the message to <paramref name="destination"/>.</summary>
    public void CopyTo(Stream destination)
    {
        _buffer.Position = 0;
        _buffer.CopyTo(destination);
    }

    /// <summary>The message's bytes.</summary>
    public byte[] ToArray() => _buffer.ToArray();

    private void Tag(int field, int wireType)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(field);
        RawVarint(((ulong)(uint)field << 3) | (uint)wireType);
    }

    private void RawVarint(ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        int length = 0;
        while (value >= 0x80)
        {
            bytes[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        bytes[length++] = (byte)value;
        _buffer.Write(bytes[..length]);
    }
}
