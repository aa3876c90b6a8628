using System.Buffers.Binary;
using Dsl.Checkpoints;
using Dsl.Cpu;
using Dsl.Tests.Data;
using Dsl.Tests.Networks;
using Xunit;

namespace Dsl.Tests.Checkpoints;

/// <summary>The checkpoint file: round trips, and every kind of bad file refused with the file and problem named.</summary>
public sealed class CheckpointFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A network whose parameters and momentum are all non-zero: a few momentum steps on random data.</summary>
    private static T Trained<T>(T network, int seed = 1) where T : CpuNetwork<float>
    {
        var random = new Random(seed);
        Randomize.Parameters(network.Parameters, random);
        int n = network.BatchCapacity, inputSize = network.Info.InputSize;
        for (int step = 0; step < 3; step++)
        {
            float[] images = Enumerable.Range(0, n * inputSize).Select(_ => (float)random.NextDouble()).ToArray();
            int[] labels = Enumerable.Range(0, n).Select(_ => random.Next(network.Info.Classes)).ToArray();
            network.TrainStep(images, labels, n, new TrainingSettings(0.1f, Momentum: 0.9f));
        }
        Assert.All(network.Parameters, p => Assert.Contains(p.Velocity, v => v != 0));
        return network;
    }

    private static void AssertSameState(CpuNetwork<float> expected, CpuNetwork<float> actual, bool momentum = true)
    {
        foreach (var (e, a) in expected.Parameters.Zip(actual.Parameters))
        {
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.Values, a.Values); // exact: float32 stored as is
            if (momentum) Assert.Equal(e.Velocity, a.Velocity);
        }
    }

    [Fact]
    public void Parameters_and_momentum_round_trip_exactly()
    {
        string path = _folder.File("tiny.ckpt");
        using var saved = Trained(new TinyImageNet.Cpu<float>(5));
        Checkpoint.Save(saved, path);

        using var loaded = new TinyImageNet.Cpu<float>(3, seed: 99); // another capacity and other initial weights
        CheckpointInfo info = Checkpoint.Load(path, loaded);

        AssertSameState(saved, loaded);
        Assert.Equal("TinyImageNet", info.NetworkName);
        Assert.Equal(TinyImageNet.Info.Summary, info.Architecture);
        Assert.Null(info.Training);
        Assert.Equal(new[] { "W1 (64, 16)", "velocity/W1 (64, 16)", "B1 (16)", "velocity/B1 (16)", "W2 (16, 4)", "velocity/W2 (16, 4)", "B2 (4)", "velocity/B2 (4)" },
            info.Tensors);
        Assert.Equal(new FileInfo(path).Length, info.Bytes);
    }

    [Fact]
    public void A_convolutional_network_round_trips_exactly()
    {
        string path = _folder.File("conv.ckpt");
        using var saved = Trained(new SmallLeNet.Cpu<float>(2));
        Checkpoint.Save(saved, path);
        using var loaded = new SmallLeNet.Cpu<float>(2, seed: 7);
        Checkpoint.Load(path, loaded);
        AssertSameState(saved, loaded);
        Assert.Contains("W3 (4, 3, 3, 3)", Checkpoint.ReadInfo(path).Tensors);
    }

    [Fact]
    public void A_double_network_loads_a_float_checkpoint()
    {
        string path = _folder.File("tanh.ckpt");
        using var saved = Trained(new TanhNet.Cpu<float>(4));
        Checkpoint.Save(saved, path);
        using var loaded = new TanhNet.Cpu<double>(4, seed: 3);
        Checkpoint.Load(path, loaded);
        foreach (var (f, d) in saved.Parameters.Zip(loaded.Parameters))
            Assert.Equal(f.Values.Select(v => (double)v), d.Values);
    }

    [Fact]
    public void Saving_leaves_no_temporary_file_and_replaces_the_previous_checkpoint()
    {
        string path = _folder.File("tiny.ckpt");
        using var network = Trained(new TinyImageNet.Cpu<float>(5));
        Checkpoint.Save(network, path);
        network.Parameters[0].Values[0] += 1;
        Checkpoint.Save(network, path);

        Assert.Equal(new[] { "tiny.ckpt" }, Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
        using var loaded = new TinyImageNet.Cpu<float>(5);
        Checkpoint.Load(path, loaded);
        AssertSameState(network, loaded);
    }

    [Fact]
    public void Saving_creates_the_folder()
    {
        string path = Path.Combine(_folder.Path, "runs", "a", "tiny.ckpt");
        using var network = new TinyImageNet.Cpu<float>(5);
        Checkpoint.Save(network, path);
        Assert.True(File.Exists(path));
    }

    /// <summary>A stream that accepts <c>limit</c> bytes, then fails as a full disk would.</summary>
    private sealed class FailingStream(Stream inner, long limit) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int room = (int)Math.Min(buffer.Length, limit - inner.Position);
            inner.Write(buffer[..room]);
            if (room < buffer.Length) throw new IOException("No space left on device (simulated)");
        }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void A_save_that_fails_midway_leaves_the_previous_checkpoint_untouched_and_no_temporary_file()
    {
        string path = _folder.File("tiny.ckpt");
        using var network = Trained(new TinyImageNet.Cpu<float>(5));
        Checkpoint.Save(network, path);
        byte[] before = File.ReadAllBytes(path);

        network.Parameters[0].Values[0] += 1;
        string? temporary = null;
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Save(network, path, openTemporary: name =>
        {
            temporary = name;
            return new FailingStream(File.Create(name), limit: before.Length / 2);
        }));

        Assert.Equal(CheckpointProblem.WriteFailed, error.Problem);
        Assert.Contains(path, error.Message);
        Assert.Contains("No space left on device", error.Message);
        Assert.Contains("previous checkpoint there is unchanged", error.Message);
        Assert.Equal(Path.GetDirectoryName(path), Path.GetDirectoryName(temporary)); // same folder: the rename is atomic
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "tiny.ckpt" }, Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_save_deletes_temporary_files_left_by_dead_processes_only()
    {
        string path = _folder.File("tiny.ckpt");
        using var network = Trained(new TinyImageNet.Cpu<float>(5));
        string dead = _folder.File($".tiny.ckpt.{int.MaxValue}.{Guid.NewGuid():N}.tmp"); // no process has this id
        string alive = _folder.File($".tiny.ckpt.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"); // maybe being written
        string other = _folder.File($".other.ckpt.{int.MaxValue}.{Guid.NewGuid():N}.tmp"); // another checkpoint's
        foreach (string file in (string[])[dead, alive, other]) File.WriteAllBytes(file, [1, 2, 3]);

        Checkpoint.Save(network, path);

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(alive));
        Assert.True(File.Exists(other));
        Checkpoint.ReadInfo(path);
    }

    [Fact]
    public void Loading_into_another_architecture_is_refused_naming_both()
    {
        string path = _folder.File("tiny.ckpt");
        using var saved = Trained(new TinyImageNet.Cpu<float>(5));
        Checkpoint.Save(saved, path);
        using var other = new ThreeConvReluNet.Cpu<float>(5, seed: 2);
        float[] before = other.Parameters[0].Values.ToArray();

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, other));

        Assert.Equal(CheckpointProblem.ArchitectureMismatch, error.Problem);
        Assert.Contains(path, error.Message);
        Assert.Contains(TinyImageNet.Info.Summary, error.Message);
        Assert.Contains(ThreeConvReluNet.Info.Summary, error.Message);
        Assert.Equal(before, other.Parameters[0].Values); // untouched
    }

    [Fact]
    public void Same_shapes_but_other_activations_are_another_architecture()
    {
        string path = _folder.File("tanh.ckpt");
        using var saved = new TanhNet.Cpu<float>(2);
        Checkpoint.Save(saved, path);
        using var relu = new ReluNet.Cpu<float>(2); // Input(7) → Dense(6, Relu) → Dense(3, Softmax): same tensors
        Assert.Equal(CheckpointProblem.ArchitectureMismatch, Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, relu)).Problem);
    }

    private byte[] SmallCheckpoint(string path)
    {
        using var network = Trained(new IdentityNet.Cpu<float>(3));
        Checkpoint.Save(network, path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void Every_truncation_is_refused_as_truncated()
    {
        string path = _folder.File("identity.ckpt");
        byte[] bytes = SmallCheckpoint(path);
        using var network = new IdentityNet.Cpu<float>(3);
        for (int length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes[..length]);
            var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, network));
            Assert.True(error.Problem == CheckpointProblem.Truncated, $"{length} of {bytes.Length} bytes: {error.Problem}: {error.Message}");
            Assert.Contains(path, error.Message);
            Assert.Contains("truncated", error.Message);
        }
    }

    [Fact]
    public void Every_flipped_byte_is_refused()
    {
        string path = _folder.File("identity.ckpt");
        byte[] bytes = SmallCheckpoint(path);
        using var network = new IdentityNet.Cpu<float>(3);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            File.WriteAllBytes(path, damaged);
            var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, network));
            Assert.Contains(path, error.Message);
            if (i >= 24) // past the header (magic, version, flags, length) every change is the checksum's to find
                Assert.True(error.Problem == CheckpointProblem.Corrupted, $"byte {i}: {error.Problem}: {error.Message}");
        }
    }

    [Fact]
    public void A_flipped_bit_in_a_weight_is_a_checksum_mismatch()
    {
        string path = _folder.File("identity.ckpt");
        byte[] bytes = SmallCheckpoint(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.ReadInfo(path));
        Assert.Equal(CheckpointProblem.Corrupted, error.Problem);
        Assert.Contains("checksum does not match", error.Message);
    }

    [Fact]
    public void A_newer_format_version_is_refused_with_both_versions()
    {
        string path = _folder.File("identity.ckpt");
        byte[] bytes = SmallCheckpoint(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Checkpoint.FormatVersion + 1);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.ReadInfo(path));
        Assert.Equal(CheckpointProblem.NewerVersion, error.Problem);
        Assert.Contains($"version {Checkpoint.FormatVersion + 1}", error.Message);
        Assert.Contains($"version {Checkpoint.FormatVersion} ", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Another_kind_of_file_is_not_a_checkpoint()
    {
        string path = _folder.File("notes.txt");
        File.WriteAllText(path, "these are not the weights you are looking for, but the file is long enough to have a header");
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.ReadInfo(path));
        Assert.Equal(CheckpointProblem.NotACheckpoint, error.Problem);
        Assert.Contains(path, error.Message);
    }
}
