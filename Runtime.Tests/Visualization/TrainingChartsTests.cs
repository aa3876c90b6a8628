using Dsl.Examples;
using Dsl.Tests.Checkpoints;
using Dsl.Tests.Data;
using Dsl.Training;
using SkiaSharp;
using Xunit;

namespace Dsl.Tests.Visualization;

/// <summary>The examples CLI's pictures of a run (curves, confusion matrix), its live progress line and --quiet.</summary>
public sealed class TrainingChartsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Decodes a PNG and checks its size and that it is not one flat colour.</summary>
    private static void AssertPicture(string path, int width, int height)
    {
        Assert.True(File.Exists(path), path);
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < height; y += 3)
            for (int x = 0; x < width; x += 3) colours.Add(bitmap.GetPixel(x, y));
        Assert.True(colours.Count > 10, $"{path} has only {colours.Count} colours");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp")); // written through a temporary file
    }

    private static ProgressReport Report(int epoch, double loss, double validation, double? test) =>
        new(epoch, epoch * 50L, loss, validation, test, 1000, TimeSpan.FromSeconds(epoch));

    [Fact]
    public void The_curves_and_the_confusion_matrix_decode_back()
    {
        ProgressReport[] reports = [Report(1, 0.9, 12, 12.5), Report(2, 0.5, 10, 10.4), Report(3, 0.45, 10.2, null), Report(4, 0.4, 9.5, 9.9)];
        string curves = _folder.File("curves.png"), confusion = _folder.File("confusion.png");
        TrainingCharts.SaveCurves(curves, reports, minibatchesPerEpoch: 50, "a test run");
        TrainingCharts.SaveConfusion(confusion, new[,] { { 50, 2, 0 }, { 3, 40, 7 }, { 0, 1, 60 } }, "a test matrix");
        AssertPicture(curves, TrainingCharts.CurvesWidth, TrainingCharts.CurvesHeight);
        AssertPicture(confusion, TrainingCharts.ConfusionWidth, TrainingCharts.ConfusionHeight);

        // A single validation point (one epoch) draws too; no point at all is refused.
        TrainingCharts.SaveCurves(curves, [Report(1, 0.9, 12, 12.5)], minibatchesPerEpoch: 50, "one point");
        AssertPicture(curves, TrainingCharts.CurvesWidth, TrainingCharts.CurvesHeight);
        Assert.Throws<ArgumentException>(() => TrainingCharts.SaveCurves(curves, [], 50, "none"));
    }

    [Fact]
    public void The_confusion_table_has_a_row_per_true_class_and_its_error()
    {
        string table = TrainingCharts.FormatConfusion(new[,] { { 50, 2, 0 }, { 3, 40, 7 }, { 0, 0, 0 } });
        string[] lines = table.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^true\\pred\s+0\s+1\s+2\s+error$", lines[0]);
        Assert.Matches(@"^0\s+50\s+2\s+0\s+3\.85%$", lines[1]);  // 2 of 52 wrong
        Assert.Matches(@"^1\s+3\s+40\s+7\s+20\.00%$", lines[2]); // 10 of 50
        Assert.Matches(@"^2\s+0\s+0\s+0\s+—$", lines[3]);        // no image of class 2
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
    }

    private static StepReport Step(int batch, int batches = 50) =>
        new(Epoch: 2, Epochs: 10, Batch: batch, Batches: batches, BatchSize: 20, Minibatch: 50 + batch, Loss: 0.5f, MeanLoss: 0.4567,
            ImagesPerSecond: 2000, Elapsed: TimeSpan.FromSeconds(3));

    [Fact]
    public void Redirected_output_gets_plain_lines_only()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay(output, live: false, width: 80, new ManualClock());
        for (int b = 1; b <= 50; b++) display.Step(Step(b));
        display.Line("epoch    2  loss 0.4567  validation 10.00%");
        display.Step(new PretrainStepReport(0, 1, 1, 3, 5, 10, 20, 60.5, "reconstruction cross-entropy", 900, TimeSpan.Zero));
        display.Line("done");
        display.Clear();

        Assert.Equal($"epoch    2  loss 0.4567  validation 10.00%{Environment.NewLine}done{Environment.NewLine}", output.ToString());
        Assert.Equal(0, display.Redraws);
    }

    [Fact]
    public void A_terminal_gets_one_line_redrawn_at_most_ten_times_a_second()
    {
        var output = new StringWriter();
        var clock = new ManualClock();
        var display = new ProgressDisplay(output, live: true, width: 60, clock);
        // 50 steps 30 ms apart (1.47 s): drawn at 0, 120, 240, … ms: 13 times.
        for (int b = 1; b <= 50; b++)
        {
            display.Step(Step(b));
            clock.Ticks += TimeSpan.FromMilliseconds(30).Ticks;
        }
        Assert.Equal(13, display.Redraws);
        string live = output.ToString();
        Assert.DoesNotContain('\n', live);
        string[] frames = live.Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(13, frames.Length);
        Assert.All(frames, frame => Assert.True(frame.TrimEnd().Length < 60, frame)); // cut to the terminal's width
        Assert.StartsWith("epoch    2 [", frames[^1]);
        Assert.Contains("/50", frames[^1]);

        // A whole line erases the live line first, then stands on its own line.
        display.Line("epoch    2  validation 10.00%");
        string after = output.ToString()[live.Length..];
        Assert.Matches(@"^\r +\repoch    2  validation 10\.00%\r?\n$", after);
        display.Clear(); // nothing shown now: nothing written
        Assert.Equal(live.Length + after.Length, output.ToString().Length);
    }

    [Fact]
    public void A_step_between_redraws_allocates_nothing()
    {
        var clock = new ManualClock();
        var display = new ProgressDisplay(TextWriter.Null, live: true, width: 80, clock);
        display.Step(Step(1)); // drawn: the clock has not moved since, so the next ones are not
        StepReport next = Step(2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) display.Step(next);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(1, display.Redraws);
    }

    [Fact]
    public void The_live_line_shows_the_counts_loss_speed_and_remaining_time()
    {
        var output = new StringWriter();
        var display = new ProgressDisplay(output, live: true, width: 200, new ManualClock());
        display.Step(Step(12, batches: 50)); // 38 minibatches of 20 left at 2000 img/s: 0.38 s → 0:01
        Assert.Equal("\repoch    2 [=====>                  ] 12/50  loss 0.4567      2,000 img/s  ETA 0:01", output.ToString());
        Assert.Equal("1:02:05", ProgressDisplay.Eta(3725, 1, 1));
        Assert.Equal("?", ProgressDisplay.Eta(10, 20, 0));
    }

    private string RunCli(params string[] args)
    {
        string data = Path.Combine(_folder.Path, "data");
        if (!Directory.Exists(data))
        {
            Directory.CreateDirectory(data);
            SyntheticData.WriteMnistFolder(data);
        }
        var output = new StringWriter();
        int code = Cli.Run(["lr", "--data", data, "--device", "cpu", "--batch", "20", "--lr", "0.5", .. args], output);
        Assert.True(code == 0, output.ToString());
        return output.ToString();
    }

    [Fact]
    public void The_cli_writes_the_pictures_and_prints_the_matrix()
    {
        string plots = Path.Combine(_folder.Path, "plots");
        string output = RunCli("--epochs", "3", "--plots", plots);

        AssertPicture(Path.Combine(plots, "curves.png"), TrainingCharts.CurvesWidth, TrainingCharts.CurvesHeight);
        AssertPicture(Path.Combine(plots, "confusion.png"), TrainingCharts.ConfusionWidth, TrainingCharts.ConfusionHeight);
        Assert.Contains($"loss and error curves written to {Path.Combine(plots, "curves.png")}", output);
        Assert.Contains($"confusion matrix written to {Path.Combine(plots, "confusion.png")}", output);
        Assert.Matches(@"(?m)^true\\pred\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9\s+error\r?$", output);
        Assert.DoesNotContain('\r', output.Replace(Environment.NewLine, "\n")); // not a terminal: no live line
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $"dsl-export-{Environment.ProcessId}-*")); // the best model's temporary file is gone

        // The matrix is the best model's (the one whose test error is reported): its errors add up to that error.
        string done = output.Split('\n').Single(l => l.StartsWith("done:", StringComparison.Ordinal));
        string reported = System.Text.RegularExpressions.Regex.Match(done, @"test error ([\d.]+)%").Groups[1].Value;
        Assert.Contains($"confusion matrix on the test set (120 images, error {reported}%", output);
    }

    [Fact]
    public void Quiet_prints_the_result_line_only()
    {
        string output = RunCli("--epochs", "2", "--quiet");
        string[] lines = output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("done: 2 epochs", lines[0]);
        Assert.Matches(@"training, [\d,]+ img/s, [\d,]+ img/s steady\)", lines[0]); // all steps, then the later epochs' median

        string plots = Path.Combine(_folder.Path, "quiet-plots");
        string checkpoint = Path.Combine(_folder.Path, "lr.ckpt");
        output = RunCli("--epochs", "2", "--quiet", "--plots", plots, "--save", checkpoint);
        Assert.StartsWith("done: 2 epochs", Assert.Single(output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)));
        Assert.True(File.Exists(Path.Combine(plots, "confusion.png")));

        output = RunCli("--load", checkpoint, "--epochs", "0", "--quiet");
        Assert.StartsWith("evaluation: validation error", Assert.Single(output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)));
    }
}
