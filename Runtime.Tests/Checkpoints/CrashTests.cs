using System.Diagnostics;
using System.Text;
using Dsl.Checkpoints;
using Dsl.Tests.Data;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Tests.Checkpoints;

/// <summary>
/// Real training processes (the examples CLI, <c>dotnet Dsl.Examples.dll lr …</c>) killed with SIGKILL in the middle of a
/// checkpoint write (made deterministic by <see cref="CheckpointTestHook"/>) and at random times, then resumed with
/// <c>--resume</c> until the run finishes: the checkpoint is always a complete one, stale temporary files are cleaned
/// by the next save, and the end is bit for bit the end of an uninterrupted run.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _data = new(), _runs = new();

    public void Dispose()
    {
        _data.Dispose();
        _runs.Dispose();
    }

    /// <summary>Logistic regression on 200 training images in minibatches of 10, validated and checkpointed every 3rd
    /// minibatch (so mostly mid-epoch), with momentum and a decaying rate so that resuming has state to get right.</summary>
    private static readonly string[] RunOptions =
    [
        "lr", "--device", "cpu", "--batch", "10", "--lr", "0.02", "--momentum", "0.9", "--decay", "0.97", "--seed", "7",
        "--validate-every", "3", "--patience", "100000000", "--epochs", "60",
    ];

    private const string PausedLine = "checkpoint test hook: paused ";

    [Fact]
    public void Killed_training_processes_resume_to_the_uninterrupted_runs_final_checkpoint()
    {
        SyntheticData.WriteMnistFolder(_data.Path, trainCount: 240, testCount: 60);
        string reference = _runs.File("reference.ckpt"), checkpoint = _runs.File("run.ckpt");

        var clock = Stopwatch.StartNew();
        using (ChildRun full = Start(["--save", reference], hook: null))
            full.WaitForSuccess(TimeSpan.FromSeconds(60));
        TimeSpan uninterrupted = clock.Elapsed;
        long totalMinibatches = Checkpoint.ReadInfo(reference).Training!.Minibatch;
        output.WriteLine($"uninterrupted run: {uninterrupted.TotalSeconds:F2} s, {totalMinibatches} minibatches");

        int survived = 0;
        long minibatch = 0;

        // (a) Killed while writing: half of the temporary file on disk, or all of it but not yet renamed. Each process
        // completes one write first (so the checkpoint moves on) and is killed in its second.
        foreach (string stage in (string[])["partial", "unrenamed", "partial", "unrenamed", "partial"])
        {
            using ChildRun run = Launch(checkpoint, hook: $"{stage}:2");
            string temporary = run.WaitForPause(TimeSpan.FromSeconds(60));
            byte[] before = File.ReadAllBytes(checkpoint);
            long complete = Checkpoint.Parse(checkpoint, before).Training!.Minibatch;
            Assert.True(complete > minibatch, $"the paused process wrote no complete checkpoint first ({complete} ≤ {minibatch})");
            // Its first save cleaned the temporary files the processes killed before it left.
            Assert.Equal(new[] { temporary }, Temporaries());
            long partialLength = new FileInfo(temporary).Length;
            Assert.True(stage == "partial" ? partialLength < before.Length : partialLength > 0, $"{stage}: temporary file of {partialLength} bytes");

            run.Kill();
            Assert.Equal(before, File.ReadAllBytes(checkpoint)); // the previous complete checkpoint, untouched
            minibatch = CheckComplete(checkpoint, minibatch);
            Assert.True(File.Exists(temporary), "the killed write's temporary file is expected to be left behind");
            survived++;
            output.WriteLine($"cycle {survived}: killed in write 2 ({stage}, temporary {partialLength:N0} bytes), checkpoint at minibatch {minibatch}");
        }

        // (b) Killed at random times, mostly mid-epoch between validations, sometimes mid-write, sometimes before the
        // first save of the process.
        int seed = Environment.TickCount & 0xFFFF;
        var random = new Random(seed);
        output.WriteLine($"random kills, seed {seed}");
        double longest = Math.Max(0.3, uninterrupted.TotalSeconds / 12);
        for (int i = 0; i < 15; i++)
        {
            TimeSpan delay = TimeSpan.FromSeconds(0.05 + random.NextDouble() * longest);
            using ChildRun run = Launch(checkpoint, hook: null);
            if (run.Process.WaitForExit(delay))
            {
                output.WriteLine($"the run finished before the kill {i + 1} at {delay.TotalSeconds:F2} s");
                run.AssertSucceeded();
                break;
            }
            run.Kill();
            long previous = minibatch;
            minibatch = CheckComplete(checkpoint, minibatch);
            if (minibatch > previous) // this process saved: only its own temporary file (if killed mid-write) may remain
                Assert.All(Temporaries(), t => Assert.Contains($".{run.Pid}.", Path.GetFileName(t)));
            survived++;
            output.WriteLine($"cycle {survived}: killed after {delay.TotalSeconds:F2} s, checkpoint at minibatch {minibatch}, " +
                             $"{Temporaries().Length} temporary file(s)");
        }

        // Resume to the end, uninterrupted.
        using (ChildRun last = Launch(checkpoint, hook: null))
            last.WaitForSuccess(TimeSpan.FromSeconds(60));

        output.WriteLine($"{survived} kill/resume cycles survived in {clock.Elapsed.TotalSeconds:F1} s; final checkpoint at minibatch " +
                         $"{Checkpoint.ReadInfo(checkpoint).Training!.Minibatch} of {totalMinibatches}");
        Assert.True(survived >= 10, $"only {survived} cycles");
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(checkpoint)); // same best model, weights, momentum, state
        if (minibatch < totalMinibatches) Assert.Empty(Temporaries()); // the last run saved, cleaning up after the killed ones
    }

    /// <summary>The checkpoint verifies and has not gone back: the previous complete one or a newer complete one.</summary>
    private static long CheckComplete(string checkpoint, long previous)
    {
        if (!File.Exists(checkpoint))
        {
            Assert.Equal(0, previous);
            return 0;
        }
        long minibatch = Checkpoint.ReadInfo(checkpoint).Training!.Minibatch; // throws unless complete, checksum included
        Assert.True(minibatch >= previous, $"the checkpoint went back from minibatch {previous} to {minibatch}");
        return minibatch;
    }

    private string[] Temporaries() => Directory.GetFiles(_runs.Path, ".run.ckpt.*.tmp");

    /// <summary>Starts the run, or resumes it once a checkpoint exists.</summary>
    private ChildRun Launch(string checkpoint, string? hook) =>
        File.Exists(checkpoint) ? Start(["--resume", checkpoint], hook) : Start(["--save", checkpoint], hook);

    private ChildRun Start(string[] extra, string? hook)
    {
        string examples = typeof(Dsl.Examples.ExampleCatalog).Assembly.Location;
        Assert.True(File.Exists(Path.ChangeExtension(examples, ".runtimeconfig.json")), $"{examples} has no runtimeconfig.json beside it");
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _runs.Path,
        };
        start.ArgumentList.Add(examples);
        foreach (string arg in (string[])[.. RunOptions, "--data", _data.Path, .. extra]) start.ArgumentList.Add(arg);
        if (hook is null) start.Environment.Remove(CheckpointTestHook.Variable);
        else start.Environment[CheckpointTestHook.Variable] = hook;
        return new ChildRun(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>The dotnet host running the tests, or the one on the PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    /// <summary>A child training process, its output collected as it comes.</summary>
    private sealed class ChildRun : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource<string> _paused = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ChildRun(Process process)
        {
            Process = process;
            Pid = process.Id;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) =>
            {
                Append(e.Data);
                if (e.Data is { } line && line.StartsWith(PausedLine, StringComparison.Ordinal))
                    _paused.TrySetResult(line[(line.IndexOf(": ", PausedLine.Length, StringComparison.Ordinal) + 2)..]);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public int Pid { get; }

        private string Output { get { lock (_output) return _output.ToString(); } }

        private void Append(string? line)
        {
            if (line is not null) lock (_output) _output.AppendLine(line);
        }

        /// <summary>Waits for the test hook's pause; returns the temporary file being written.</summary>
        public string WaitForPause(TimeSpan timeout)
        {
            Task<string> paused = _paused.Task;
            int done = Task.WaitAny([paused, Process.WaitForExitAsync()], timeout);
            Assert.True(done == 0, $"no pause (exited: {Process.HasExited}):\n{Output}");
            return paused.Result;
        }

        public void WaitForSuccess(TimeSpan timeout)
        {
            Assert.True(Process.WaitForExit(timeout), $"still running after {timeout}:\n{Output}");
            AssertSucceeded();
        }

        public void AssertSucceeded()
        {
            Process.WaitForExit(); // drains the output
            Assert.True(Process.ExitCode == 0, $"exit code {Process.ExitCode}:\n{Output}");
        }

        /// <summary>SIGKILL, then waits until it is gone.</summary>
        public void Kill()
        {
            Process.Kill();
            Process.WaitForExit();
        }

        public void Dispose()
        {
            if (!Process.HasExited) Kill();
            Process.Dispose();
        }
    }
}
