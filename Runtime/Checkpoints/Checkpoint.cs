using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Dsl.Training;

namespace Dsl.Checkpoints;

/// <summary>What a checkpoint file holds, as read from it.</summary>
/// <param name="Path">The file (full path).</param>
/// <param name="FormatVersion">The format version it was written with.</param>
/// <param name="NetworkName">The class the parameters were saved from, e.g. "Mlp".</param>
/// <param name="Architecture">Its <see cref="NetworkInfo.Summary"/>, e.g. "Input(784) → Dense(500, Tanh) → Dense(10, Softmax)".</param>
/// <param name="ArchitectureHash">XxHash64 of the layers, shapes and parameter names; loading compares it.</param>
/// <param name="Tensors">The stored tensors with their shapes, e.g. "W1 (784, 500)", "velocity/W1 (784, 500)".</param>
/// <param name="Training">The training run's state when written by the trainer, else null.</param>
/// <param name="Bytes">File size.</param>
public sealed record CheckpointInfo(string Path, int FormatVersion, string NetworkName, string Architecture, ulong ArchitectureHash,
    IReadOnlyList<string> Tensors, TrainingState? Training, long Bytes);

/// <summary>
/// Saves and loads a network's parameters, momentum and (when the trainer writes it) the training state, in one file
/// that is either complete or absent: it is written to a temporary file in the same folder, flushed to disk and renamed
/// over the target.
/// </summary>
/// <remarks>
/// <para>Layout (little-endian), format version 1:</para>
/// <code>
/// offset 0   8 bytes  magic "DSLCKPT\0"
///        8   uint32   format version (1)
///       12   uint32   flags (0)
///       16   int64    file length in bytes, checksum included
///       24   string   network name          (strings: 7-bit encoded length, UTF-8)
///            string   architecture summary
///            uint64   architecture hash     (XxHash64 of the layers, shapes and parameter names and shapes)
///            bool     has training state; if so the trainer options and progress (see TrainingState)
///            int32    tensor count, then per tensor: string name, int32 rank, int32 × rank shape, float32 × size values
///   end − 8  uint64   XxHash64 of every byte before it
/// </code>
/// <para>Tensors: the model's parameters under their generated names ("W1", "B1", …): for a training checkpoint the
/// best-validation ones. "velocity/W1", …: momentum. "resume/W1", …: in a training checkpoint only, the current
/// parameters the momentum belongs to and training continues from.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>The newest format version this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Name prefix of the momentum tensors.</summary>
    internal const string VelocityPrefix = "velocity/";

    /// <summary>Name prefix of a training checkpoint's current parameters.</summary>
    internal const string ResumePrefix = "resume/";

    private static ReadOnlySpan<byte> Magic => "DSLCKPT\0"u8;
    private const int HeaderSize = 24, TrailerSize = 8;

    /// <summary>Saves <paramref name="network"/>'s parameters and momentum to <paramref name="path"/>, replacing the
    /// file there only once the new one is completely on disk.</summary>
    /// <exception cref="CheckpointException">The file could not be written (the previous one is unchanged).</exception>
    public static void Save(INetwork network, string path) => Save(network, path, openTemporary: null);

    /// <summary>As <see cref="Save(INetwork, string)"/>, writing through <paramref name="openTemporary"/> (tests make it fail).</summary>
    internal static void Save(INetwork network, string path, Func<string, Stream>? openTemporary)
    {
        ParameterAccess access = ParameterAccess.For(network);
        var tensors = new List<Tensor>();
        for (int i = 0; i < access.Shapes.Count; i++)
        {
            ParameterShape shape = access.Shapes[i];
            tensors.Add(new Tensor(shape.Name, shape.Shape, ReadPart(access, i, ParameterPart.Values)));
            tensors.Add(new Tensor(VelocityPrefix + shape.Name, shape.Shape, ReadPart(access, i, ParameterPart.Velocity)));
        }
        Write(path, new Content(network.Info.Name, network.Info.Summary, ArchitectureHash(network.Info, access.Shapes), null, tensors), openTemporary);
    }

    /// <summary>
    /// Loads the model in <paramref name="path"/> into <paramref name="network"/>, which must have the architecture it
    /// was saved from (any batch capacity, CPU or GPU). For a checkpoint written by the trainer this is the model with
    /// the best validation error, and momentum is zeroed (it belongs to the run's current parameters, not to the best
    /// ones); for one written by <see cref="Save(INetwork, string)"/> momentum is restored too.
    /// </summary>
    /// <returns>What the file holds, including the training state if any.</returns>
    /// <exception cref="CheckpointException">The file is not a checkpoint, truncated, corrupted, of a newer format, or of
    /// another architecture; the message says which. The network is unchanged then.</exception>
    public static CheckpointInfo Load(string path, INetwork network)
    {
        ParameterAccess access = ParameterAccess.For(network);
        (string full, Content content, long bytes) = ReadFile(path);
        CheckArchitecture(full, content, network.Info, access.Shapes);
        bool restoreMomentum = content.Training is null;
        float[]? zeros = null;
        for (int i = 0; i < access.Shapes.Count; i++)
        {
            ParameterShape shape = access.Shapes[i];
            access.Write(i, ParameterPart.Values, Find(full, content, shape.Name, shape).Data);
            if (restoreMomentum && content.Tensors.Any(t => t.Name == VelocityPrefix + shape.Name))
                access.Write(i, ParameterPart.Velocity, Find(full, content, VelocityPrefix + shape.Name, shape).Data);
            else
                access.Write(i, ParameterPart.Velocity, zeros is { } z && z.Length == shape.Length ? z : zeros = new float[shape.Length]);
        }
        access.Synchronize();
        return Describe(full, content, bytes);
    }

    /// <summary>Reads and verifies <paramref name="path"/> without loading it into a network.</summary>
    /// <exception cref="CheckpointException">The file is not a checkpoint, truncated, corrupted or of a newer format.</exception>
    public static CheckpointInfo ReadInfo(string path)
    {
        (string full, Content content, long bytes) = ReadFile(path);
        return Describe(full, content, bytes);
    }

    /// <summary>
    /// Writes a training checkpoint: <paramref name="best"/> as the model, the network's current parameters and
    /// momentum to resume from, and <paramref name="state"/>.
    /// </summary>
    internal static void SaveTraining(string path, INetwork network, ParameterAccess access, float[][] best, TrainingState state,
        Func<string, Stream>? openTemporary = null)
    {
        var tensors = new List<Tensor>();
        for (int i = 0; i < access.Shapes.Count; i++)
        {
            ParameterShape shape = access.Shapes[i];
            tensors.Add(new Tensor(shape.Name, shape.Shape, best[i]));
            tensors.Add(new Tensor(ResumePrefix + shape.Name, shape.Shape, ReadPart(access, i, ParameterPart.Values)));
            tensors.Add(new Tensor(VelocityPrefix + shape.Name, shape.Shape, ReadPart(access, i, ParameterPart.Velocity)));
        }
        Write(path, new Content(network.Info.Name, network.Info.Summary, ArchitectureHash(network.Info, access.Shapes), state, tensors), openTemporary);
    }

    /// <summary>
    /// Loads a training checkpoint's current parameters and momentum into <paramref name="network"/> and returns the
    /// training state and the best model's parameters (in <see cref="ParameterAccess.Shapes"/> order).
    /// </summary>
    internal static (TrainingState State, float[][] Best, string FullPath) LoadForResume(string path, INetwork network, ParameterAccess access)
    {
        (string full, Content content, _) = ReadFile(path);
        CheckArchitecture(full, content, network.Info, access.Shapes);
        if (content.Training is not { } state)
            throw new CheckpointException(full, CheckpointProblem.NoTrainingState,
                "holds a model but no training state to resume (it was saved outside training); load it with --load " +
                "(Checkpoint.Load) and train from there instead.");
        var best = new float[access.Shapes.Count][];
        for (int i = 0; i < access.Shapes.Count; i++)
        {
            ParameterShape shape = access.Shapes[i];
            best[i] = Find(full, content, shape.Name, shape).Data;
            access.Write(i, ParameterPart.Values, Find(full, content, ResumePrefix + shape.Name, shape).Data);
            access.Write(i, ParameterPart.Velocity, Find(full, content, VelocityPrefix + shape.Name, shape).Data);
        }
        access.Synchronize();
        return (state, best, full);
    }

    /// <summary>XxHash64 of everything that must agree for parameters to fit: input, classes, each layer's declaration,
    /// shapes and parameter count, and each parameter's name and shape. The network's class name is left out, so a
    /// renamed class with the same layers still loads.</summary>
    internal static ulong ArchitectureHash(NetworkInfo info, IReadOnlyList<ParameterShape> shapes)
    {
        var text = new StringBuilder();
        text.Append($"input {info.Channels}x{info.Height}x{info.Width}; classes {info.Classes}\n");
        foreach (LayerInfo layer in info.Layers)
            text.Append($"{layer.Description} {layer.InputShape} -> {layer.OutputShape}, {layer.Parameters} parameters\n");
        foreach (ParameterShape shape in shapes) text.Append($"{shape.Name} [{string.Join(",", shape.Shape)}]\n");
        return XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static float[] ReadPart(ParameterAccess access, int index, ParameterPart part)
    {
        var values = new float[access.Shapes[index].Length];
        access.Read(index, part, values);
        return values;
    }

    private static void CheckArchitecture(string path, Content content, NetworkInfo info, IReadOnlyList<ParameterShape> shapes)
    {
        if (content.ArchitectureHash == ArchitectureHash(info, shapes)) return;
        string detail = content.Architecture == info.Summary
            ? $"has the same layers as {info.Name} but a different parameter layout (this build expects " +
              $"{string.Join(", ", shapes)}; the file has {string.Join(", ", content.Tensors.Where(t => !t.Name.Contains('/')).Select(t => t.Describe()))})"
            : $"holds {content.NetworkName}: {content.Architecture}, which is not the architecture of {info.Name}: {info.Summary}";
        throw new CheckpointException(path, CheckpointProblem.ArchitectureMismatch, $"cannot load: the checkpoint {detail}.");
    }

    private static Tensor Find(string path, Content content, string name, ParameterShape expected)
    {
        Tensor tensor = content.Tensors.FirstOrDefault(t => t.Name == name)
            ?? throw new CheckpointException(path, CheckpointProblem.Corrupted, $"has no tensor {name}, which {expected.Name} needs.");
        if (!tensor.Shape.AsSpan().SequenceEqual(expected.Shape))
            throw new CheckpointException(path, CheckpointProblem.ArchitectureMismatch,
                $"tensor {tensor.Describe()} does not have the network's shape ({string.Join(", ", expected.Shape)}).");
        return tensor;
    }

    private static CheckpointInfo Describe(string path, Content content, long bytes) =>
        new(path, FormatVersion, content.NetworkName, content.Architecture, content.ArchitectureHash,
            content.Tensors.Select(t => t.Describe()).ToArray(), content.Training, bytes);

    // ---- writing ----

    private static void Write(string path, Content content, Func<string, Stream>? openTemporary)
    {
        string full = System.IO.Path.GetFullPath(path);
        byte[] bytes = Serialize(content);
        string? folder = System.IO.Path.GetDirectoryName(full);
        string temporary = System.IO.Path.Combine(folder ?? ".",
            $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            if (folder is not null) Directory.CreateDirectory(folder);
            DeleteStaleTemporaries(folder ?? ".", System.IO.Path.GetFileName(full));
            int write = Interlocked.Increment(ref s_writes);
            using (Stream stream = openTemporary?.Invoke(temporary)
                                   ?? new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                if (CheckpointTestHook.PausesAt(CheckpointTestHook.Stage.Partial, write))
                {
                    stream.Write(bytes.AsSpan(0, bytes.Length / 2));
                    if (stream is FileStream half) half.Flush(flushToDisk: true);
                    CheckpointTestHook.Pause(CheckpointTestHook.Stage.Partial, write, temporary);
                    stream.Write(bytes.AsSpan(bytes.Length / 2));
                }
                else stream.Write(bytes);
                if (stream is FileStream file) file.Flush(flushToDisk: true);
                else stream.Flush();
            }
            if (CheckpointTestHook.PausesAt(CheckpointTestHook.Stage.Unrenamed, write))
                CheckpointTestHook.Pause(CheckpointTestHook.Stage.Unrenamed, write, temporary);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            try { File.Delete(temporary); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { } // nothing more to do
            throw new CheckpointException(full, CheckpointProblem.WriteFailed,
                $"could not write the checkpoint ({e.Message}); {(File.Exists(full) ? "the previous checkpoint there is unchanged" : "no checkpoint was written")}.", e);
        }
    }

    /// <summary>Checkpoint writes by this process, counted for <see cref="CheckpointTestHook"/>.</summary>
    private static int s_writes;

    /// <summary>
    /// Deletes the temporary files that writes of <paramref name="fileName"/> by processes no longer running left behind
    /// (a process killed while writing cannot delete its own), so they do not pile up in the folder. Temporaries of
    /// running processes, this one included, are left alone: they may be being written.
    /// </summary>
    private static void DeleteStaleTemporaries(string folder, string fileName)
    {
        string prefix = $".{fileName}.";
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(folder, $"{prefix}*.tmp").ToArray(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (string candidate in candidates)
        {
            // ".<file>.<pid>.<guid>.tmp": the writer's process id is what is left between the prefix and the guid.
            string name = System.IO.Path.GetFileName(candidate);
            string[] rest = name[prefix.Length..^".tmp".Length].Split('.');
            if (rest.Length != 2 || rest[1].Length != 32 || !int.TryParse(rest[0], out int pid) || IsRunning(pid)) continue;
            try { File.Delete(candidate); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // another writer cleaned it, or it is locked: next time
        }
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; } // no such process
        catch (InvalidOperationException) { return false; }
        catch (System.ComponentModel.Win32Exception) { return true; } // exists, but not ours to inspect: leave its file
    }

    private static byte[] Serialize(Content content)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write((uint)FormatVersion);
            writer.Write(0u); // flags
            writer.Write(0L); // length, filled in below
            writer.Write(content.NetworkName);
            writer.Write(content.Architecture);
            writer.Write(content.ArchitectureHash);
            writer.Write(content.Training is not null);
            if (content.Training is { } state) WriteState(writer, state);
            writer.Write(content.Tensors.Count);
            foreach (Tensor tensor in content.Tensors)
            {
                writer.Write(tensor.Name);
                writer.Write(tensor.Shape.Length);
                foreach (int size in tensor.Shape) writer.Write(size);
                if (BitConverter.IsLittleEndian) writer.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
                else foreach (float value in tensor.Data) writer.Write(value);
            }
        }
        long length = stream.Length + TrailerSize;
        byte[] bytes = new byte[length];
        stream.GetBuffer().AsSpan(0, (int)stream.Length).CopyTo(bytes);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)stream.Length), XxHash64.HashToUInt64(bytes.AsSpan(0, (int)stream.Length)));
        return bytes;
    }

    private static void WriteState(BinaryWriter writer, TrainingState state)
    {
        TrainerOptions o = state.Options;
        writer.Write(o.Epochs);
        writer.Write(o.BatchSize);
        writer.Write(o.LearningRate);
        writer.Write(o.Momentum);
        writer.Write(o.L1);
        writer.Write(o.L2);
        writer.Write(o.LearningRateDecay);
        writer.Write(o.Seed);
        writer.Write(o.Shuffle);
        writer.Write(o.Patience);
        writer.Write(o.PatienceIncrease);
        writer.Write(o.ImprovementThreshold);
        writer.Write(o.ValidationFrequency ?? -1);
        writer.Write(state.Epoch);
        writer.Write(state.BatchesDoneInEpoch);
        writer.Write(state.Minibatch);
        writer.Write(state.LearningRate);
        writer.Write(state.Patience);
        writer.Write(state.BestValidationErrorPercent);
        writer.Write(state.BestEpoch);
        writer.Write(state.BestTestErrorPercent);
        writer.Write(state.TrainingCount);
        writer.Write(state.TrainingLabelsHash);
    }

    // ---- reading ----

    private static (string FullPath, Content Content, long Bytes) ReadFile(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        byte[] bytes = File.ReadAllBytes(full);
        return (full, Parse(full, bytes), bytes.Length);
    }

    /// <summary>Checks magic, version, length and checksum, in that order, then parses the body.</summary>
    internal static Content Parse(string path, byte[] bytes)
    {
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            if (bytes.Length < Magic.Length && Magic[..bytes.Length].SequenceEqual(bytes))
                throw new CheckpointException(path, CheckpointProblem.Truncated,
                    $"truncated: only {bytes.Length} bytes, not even the {HeaderSize}-byte header (an interrupted write or copy?).");
            throw new CheckpointException(path, CheckpointProblem.NotACheckpoint, "not a Dsl checkpoint (it does not start with the DSLCKPT magic).");
        }
        if (bytes.Length < HeaderSize + TrailerSize)
            throw new CheckpointException(path, CheckpointProblem.Truncated,
                $"truncated: only {bytes.Length} bytes, less than a header and checksum (an interrupted write or copy?).");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version > FormatVersion)
            throw new CheckpointException(path, CheckpointProblem.NewerVersion,
                $"written in checkpoint format version {version}, newer than the version {FormatVersion} this build of Dsl reads; load it with a newer Dsl.");
        if (version == 0)
            throw new CheckpointException(path, CheckpointProblem.Corrupted, "corrupted: format version 0 does not exist.");
        long declared = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        if (bytes.Length < declared)
            throw new CheckpointException(path, CheckpointProblem.Truncated,
                $"truncated: {bytes.Length:N0} of its {declared:N0} bytes are there (an interrupted write or copy?).");
        if (bytes.Length > declared)
            throw new CheckpointException(path, CheckpointProblem.Corrupted,
                $"corrupted: {bytes.Length:N0} bytes, but its header says {declared:N0}.");
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - TrailerSize));
        ulong computed = XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - TrailerSize));
        if (stored != computed)
            throw new CheckpointException(path, CheckpointProblem.Corrupted,
                $"corrupted: the checksum does not match the content (stored {stored:x16}, computed {computed:x16}).");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, HeaderSize, bytes.Length - HeaderSize - TrailerSize), Encoding.UTF8);
            string name = reader.ReadString();
            string architecture = reader.ReadString();
            ulong hash = reader.ReadUInt64();
            TrainingState? state = reader.ReadBoolean() ? ReadState(reader) : null;
            int count = reader.ReadInt32();
            if (count < 0) throw new InvalidDataException($"{count} tensors");
            var tensors = new List<Tensor>();
            for (int t = 0; t < count; t++)
            {
                string tensorName = reader.ReadString();
                int rank = reader.ReadInt32();
                if (rank is < 0 or > 8) throw new InvalidDataException($"tensor {tensorName} of rank {rank}");
                var shape = new int[rank];
                long size = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = reader.ReadInt32();
                    size *= shape[d];
                    if (shape[d] < 0 || size > (reader.BaseStream.Length - reader.BaseStream.Position) / sizeof(float))
                        throw new InvalidDataException($"tensor {tensorName} of shape ({string.Join(", ", shape[..(d + 1)])}…) is larger than the file");
                }
                var data = new float[size];
                reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                    for (int i = 0; i < data.Length; i++)
                        data[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(data[i])));
                tensors.Add(new Tensor(tensorName, shape, data));
            }
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException($"{reader.BaseStream.Length - reader.BaseStream.Position} bytes after the last tensor");
            return new Content(name, architecture, hash, state, tensors);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or ArgumentException or OverflowException)
        {
            throw new CheckpointException(path, CheckpointProblem.Corrupted,
                $"corrupted: its checksum matches but the content does not parse ({e.Message}); was it written by another program?", e);
        }
    }

    private static TrainingState ReadState(BinaryReader reader)
    {
        var options = new TrainerOptions
        {
            Epochs = reader.ReadInt32(),
            BatchSize = reader.ReadInt32(),
            LearningRate = reader.ReadSingle(),
            Momentum = reader.ReadSingle(),
            L1 = reader.ReadSingle(),
            L2 = reader.ReadSingle(),
            LearningRateDecay = reader.ReadSingle(),
            Seed = reader.ReadInt32(),
            Shuffle = reader.ReadBoolean(),
            Patience = reader.ReadInt32(),
            PatienceIncrease = reader.ReadInt32(),
            ImprovementThreshold = reader.ReadDouble(),
            ValidationFrequency = reader.ReadInt32() is var frequency && frequency >= 0 ? frequency : null,
        };
        return new TrainingState(options, Epoch: reader.ReadInt32(), BatchesDoneInEpoch: reader.ReadInt32(), Minibatch: reader.ReadInt64(),
            LearningRate: reader.ReadSingle(), Patience: reader.ReadInt64(), BestValidationErrorPercent: reader.ReadDouble(),
            BestEpoch: reader.ReadInt32(), BestTestErrorPercent: reader.ReadDouble(), TrainingCount: reader.ReadInt32(),
            TrainingLabelsHash: reader.ReadUInt64());
    }

    /// <summary>A file's parsed content.</summary>
    internal sealed record Content(string NetworkName, string Architecture, ulong ArchitectureHash, TrainingState? Training, IReadOnlyList<Tensor> Tensors);

    /// <summary>A named float32 tensor.</summary>
    internal sealed record Tensor(string Name, int[] Shape, float[] Data)
    {
        public string Describe() => $"{Name} ({string.Join(", ", Shape)})";
    }
}
