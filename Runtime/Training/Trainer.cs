using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Dsl.Checkpoints;
using Dsl.Data;

namespace Dsl.Training;

/// <summary>
/// How to train: minibatch SGD with the Theano tutorials' early stopping. Patience counts minibatches: training stops
/// once this many have passed without a significant validation improvement, and a significant one (error below
/// <see cref="ImprovementThreshold"/> × best) extends it to <see cref="PatienceIncrease"/> × the current minibatch.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Upper bound on epochs; early stopping usually ends sooner.</summary>
    public int Epochs { get; init; } = 1000;
    /// <summary>Images per SGD step.</summary>
    public int BatchSize { get; init; } = 20;
    /// <summary>SGD step size.</summary>
    public float LearningRate { get; init; } = 0.01f;
    /// <summary>Classical momentum (0: plain SGD, as in the tutorials).</summary>
    public float Momentum { get; init; }
    /// <summary>Weight of Σ|W| in the cost.</summary>
    public float L1 { get; init; }
    /// <summary>Weight of ΣW² in the cost.</summary>
    public float L2 { get; init; }
    /// <summary>Learning rate multiplier applied after each epoch (1: constant).</summary>
    public float LearningRateDecay { get; init; } = 1f;
    /// <summary>Seeds the shuffling (the network's initial weights are seeded where it is created).</summary>
    public int Seed { get; init; }
    /// <summary>Visit the training set in a new seeded random order each epoch; false keeps the tutorials' fixed order.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Minibatches to look at before stopping early, at least.</summary>
    public int Patience { get; init; } = 10_000;
    /// <summary>Patience grows to this multiple of the current minibatch index on a significant improvement.</summary>
    public int PatienceIncrease { get; init; } = 2;
    /// <summary>A validation error below this fraction of the best so far counts as significant.</summary>
    public double ImprovementThreshold { get; init; } = 0.995;
    /// <summary>Minibatches between validations; null: once per epoch, or every Patience/2 if that is sooner.</summary>
    public int? ValidationFrequency { get; init; }
}

/// <summary>One validation point, reported as training goes.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Minibatch">Minibatches trained so far, over all epochs.</param>
/// <param name="MeanLoss">Mean training NLL over the minibatches since the previous report.</param>
/// <param name="ValidationErrorPercent">Misclassified validation images, in percent.</param>
/// <param name="TestErrorPercent">Test error of this model if it is the best so far, else null.</param>
/// <param name="ImagesPerSecond">Training throughput since the previous report (training steps only).</param>
/// <param name="Elapsed">Wall time since training began, validation included.</param>
public sealed record ProgressReport(int Epoch, long Minibatch, double MeanLoss, double ValidationErrorPercent,
    double? TestErrorPercent, double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>
/// One trained minibatch, reported to the optional per-step hook of <see cref="Trainer.Train(INetwork, Dataset, Dataset, Dataset, TrainerOptions, Action{ProgressReport}?, string?, Action{StepReport}?)"/>
/// (e.g. to draw a progress bar). A value type: reporting allocates nothing; the hook runs on the training thread after
/// every step, so it should return quickly (a display throttles its redraws).
/// </summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Upper bound on epochs (early stopping may end the run sooner).</param>
/// <param name="Batch">Minibatches done in this epoch, this one included (1 … <paramref name="Batches"/>).</param>
/// <param name="Batches">Minibatches per epoch (a last partial one is dropped).</param>
/// <param name="BatchSize">Images per minibatch.</param>
/// <param name="Minibatch">Minibatches trained so far, over all epochs.</param>
/// <param name="Loss">This minibatch's mean training NLL.</param>
/// <param name="MeanLoss">Mean of this epoch's minibatch losses so far (since the resume, in a resumed epoch).</param>
/// <param name="ImagesPerSecond">Images trained per second of this epoch so far: wall time of the epoch's training
/// loop, validation and testing excluded.</param>
/// <param name="Elapsed">Wall time since training began, validation included.</param>
public readonly record struct StepReport(int Epoch, int Epochs, int Batch, int Batches, int BatchSize, long Minibatch, float Loss,
    double MeanLoss, double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>What a training run achieved.</summary>
/// <param name="Epochs">Epochs run (the last one possibly cut short by early stopping).</param>
/// <param name="TrainSeconds">Time spent in training steps only.</param>
/// <param name="WallSeconds">Total time, validation and testing included.</param>
/// <param name="TrainImagesPerSecond">Images through forward + backward + update per second of training steps.</param>
/// <param name="BestValidationErrorPercent">Lowest validation error seen.</param>
/// <param name="BestEpoch">Epoch at which it was seen.</param>
/// <param name="TestErrorPercent">Test error of the model with the best validation error, as the tutorials report.</param>
/// <param name="StoppedEarly">Whether patience ran out before <see cref="TrainerOptions.Epochs"/>.</param>
public sealed record TrainingResult(int Epochs, double TrainSeconds, double WallSeconds, double TrainImagesPerSecond,
    double BestValidationErrorPercent, int BestEpoch, double TestErrorPercent, bool StoppedEarly);

/// <summary>
/// Thrown when the loss or a parameter stops being a finite number; says where (epoch, minibatch, parameter and layer),
/// so the run can be adjusted, and which checkpoint on disk is still good.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception with a message only.</summary>
    public TrainingDivergedException(string message) : base(message) { }

    /// <summary>Creates the exception with where it happened.</summary>
    public TrainingDivergedException(string message, int epoch, long minibatch, string? parameter) : base(message) =>
        (Epoch, Minibatch, Parameter) = (epoch, minibatch, parameter);

    /// <summary>The 1-based epoch in which it was noticed.</summary>
    public int Epoch { get; }

    /// <summary>The minibatch (counted over all epochs) after which it was noticed.</summary>
    public long Minibatch { get; }

    /// <summary>The first parameter found non-finite, e.g. "W1" or "velocity of W1"; null if all were finite.</summary>
    public string? Parameter { get; }
}

/// <summary>Minibatch SGD with early stopping on a validation set, as in the Theano deep-learning tutorials.</summary>
/// <remarks>
/// With a checkpoint path, every validation rewrites that file (atomically) with the best model so far, the current
/// parameters and momentum and the trainer's state, after checking that every parameter is finite: a diverged run
/// never overwrites the last good checkpoint, and <see cref="Resume(INetwork, Dataset, Dataset, Dataset, string, Action{ProgressReport}?, int?, string?, Action{StepReport}?)"/>
/// continues from it to exactly the weights the uninterrupted run reaches on the CPU.
/// </remarks>
public static class Trainer
{
    /// <summary>Trains <paramref name="network"/> on a split data set, reporting each validation through
    /// <paramref name="progress"/> and, if given, each minibatch through <paramref name="step"/>.</summary>
    public static TrainingResult Train(INetwork network, MnistSplit data, TrainerOptions options, Action<ProgressReport>? progress = null,
        string? checkpointPath = null, Action<StepReport>? step = null) =>
        Train(network, data.Train, data.Validation, data.Test, options, progress, checkpointPath, step);

    /// <summary>
    /// Trains on <paramref name="train"/>, validating on <paramref name="validation"/> for early stopping; each new best
    /// model is scored on <paramref name="test"/>.
    /// </summary>
    /// <param name="progress">Called at each validation.</param>
    /// <param name="checkpointPath">If set, rewritten at each validation with the best model so far and the state to
    /// resume from (see <see cref="Checkpoint"/>).</param>
    /// <param name="step">Called after every minibatch (before that minibatch's validation, if one is due).</param>
    /// <exception cref="TrainingDivergedException">The loss or a parameter became NaN or infinite.</exception>
    /// <exception cref="CheckpointException">The checkpoint could not be written.</exception>
    public static TrainingResult Train(INetwork network, Dataset train, Dataset validation, Dataset test, TrainerOptions options,
        Action<ProgressReport>? progress = null, string? checkpointPath = null, Action<StepReport>? step = null) =>
        Run(network, train, validation, test, options, progress, checkpointPath, start: null, step);

    /// <summary>Continues the run saved in <paramref name="checkpointPath"/> on a split data set.</summary>
    public static TrainingResult Resume(INetwork network, MnistSplit data, string checkpointPath, Action<ProgressReport>? progress = null,
        int? epochs = null, string? savePath = null, Action<StepReport>? step = null) =>
        Resume(network, data.Train, data.Validation, data.Test, checkpointPath, progress, epochs, savePath, step);

    /// <summary>
    /// Continues the run saved in <paramref name="checkpointPath"/> (written by <see cref="Train(INetwork, Dataset, Dataset, Dataset, TrainerOptions, Action{ProgressReport}?, string?, Action{StepReport}?)"/>
    /// at a validation) with the options stored there, as if it had never stopped: on the CPU the final weights are
    /// bit-for-bit those of the uninterrupted run. <paramref name="network"/> must have the checkpoint's architecture;
    /// the data must be the same.
    /// </summary>
    /// <param name="epochs">A new upper bound on epochs; null keeps the stored one.</param>
    /// <param name="savePath">Where to keep writing checkpoints; null: <paramref name="checkpointPath"/> itself.</param>
    /// <param name="step">Called after every minibatch, as in Train.</param>
    /// <returns>The whole run's result (epochs counted from its start; times since the resume).</returns>
    public static TrainingResult Resume(INetwork network, Dataset train, Dataset validation, Dataset test, string checkpointPath,
        Action<ProgressReport>? progress = null, int? epochs = null, string? savePath = null, Action<StepReport>? step = null)
    {
        ParameterAccess access = ParameterAccess.For(network);
        (TrainingState state, float[][] best, string full) = Checkpoint.LoadForResume(checkpointPath, network, access);
        if (state.TrainingCount != train.Count || state.TrainingLabelsHash != HashLabels(train))
            throw new CheckpointException(full, CheckpointProblem.DataMismatch,
                $"was trained on {state.TrainingCount:N0} images with other labels than this training set of {train.Count:N0}; " +
                "resuming needs the same data (and --data folder).");
        TrainerOptions options = epochs is { } bound ? state.Options with { Epochs = bound } : state.Options;
        string target = Path.GetFullPath(savePath ?? full);
        return Run(network, train, validation, test, options, progress, target, new Start(state, best, WritesToResumedFile: target == full), step);
    }

    /// <summary>A resumed run's starting point: its state, the best model's parameters, and whether the run goes on
    /// writing to the checkpoint it was resumed from (which is then its last good one).</summary>
    private sealed record Start(TrainingState State, float[][] Best, bool WritesToResumedFile);

    private static TrainingResult Run(INetwork network, Dataset train, Dataset validation, Dataset test, TrainerOptions options,
        Action<ProgressReport>? progress, string? checkpointPath, Start? start, Action<StepReport>? step)
    {
        NetworkInfo info = network.Info;
        CheckFits(info, train, "training");
        int batch = options.BatchSize;
        if (batch < 1 || batch > network.BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(options), batch, $"Batch size must be in [1, {network.BatchCapacity}] (the network's capacity).");
        int batches = train.Count / batch; // as the tutorials: a last partial minibatch is dropped
        if (batches == 0) throw new ArgumentException($"The training set has {train.Count} images, fewer than one minibatch of {batch}.");
        ParameterAccess? access = ParameterAccess.TryFor(network); // null for hand-written INetworks: no parameter checks
        if (checkpointPath is not null && access is null)
            throw new ArgumentException($"{network.GetType().Name} is not a generated network; its parameters cannot be checkpointed.", nameof(checkpointPath));

        int features = info.InputSize;
        int validationFrequency = options.ValidationFrequency ?? Math.Max(1, Math.Min(batches, options.Patience / 2));
        var order = Enumerable.Range(0, train.Count).ToArray();
        var random = new Random(options.Seed);
        var images = new float[batch * features];
        var labels = new int[batch];
        float learningRate = options.LearningRate;
        ulong labelsHash = checkpointPath is null ? 0 : HashLabels(train);
        float[][]? best = checkpointPath is null ? null : start?.Best ?? access!.Shapes.Select(s => new float[s.Length]).ToArray();
        float[] scratch = access is null ? [] : new float[access.Shapes.Select(s => s.Length).DefaultIfEmpty().Max()];

        long patience = options.Patience, minibatch = 0;
        double bestValidation = double.PositiveInfinity, bestTest = double.NaN, lossSum = 0;
        int bestEpoch = 0, epoch = 0, lossCount = 0, firstBatch = 0;
        long imagesSinceReport = 0;
        string? lastCheckpoint = null; // "epoch 3, minibatch 249", once one has been written by this run or the resumed one
        bool stop = false, inEpoch = false;
        if (start?.State is { } state)
        {
            (epoch, firstBatch, minibatch, learningRate, patience) = (state.Epoch, state.BatchesDoneInEpoch, state.Minibatch, state.LearningRate, state.Patience);
            (bestValidation, bestEpoch, bestTest) = (state.BestValidationErrorPercent, state.BestEpoch, state.BestTestErrorPercent);
            // Each epoch's order is the running order shuffled once more by the seeded generator: replay them.
            if (options.Shuffle) for (int e = 0; e < epoch; e++) random.Shuffle(order);
            if (start.WritesToResumedFile) lastCheckpoint = $"epoch {epoch}, minibatch {minibatch}";
            inEpoch = true;
            stop = patience <= minibatch;
        }
        var wall = Stopwatch.StartNew();
        var steps = new Stopwatch();
        double stepSecondsAtReport = 0;
        // For the per-step hook: the epoch's training loop so far (paused while validating).
        var epochClock = new Stopwatch();
        double epochLossSum = 0;
        int epochSteps = 0;

        while (!stop)
        {
            if (!inEpoch)
            {
                if (epoch >= options.Epochs) break;
                epoch++;
                firstBatch = 0;
                if (options.Shuffle) random.Shuffle(order);
            }
            inEpoch = false;
            epochClock.Restart();
            (epochLossSum, epochSteps) = (0, 0);
            for (int b = firstBatch; b < batches && !stop; b++)
            {
                for (int i = 0; i < batch; i++)
                {
                    int source = order[b * batch + i];
                    Array.Copy(train.Images, (long)source * features, images, (long)i * features, features);
                    labels[i] = train.Labels[source];
                }
                steps.Start();
                float loss = network.TrainStep(images, labels, batch, new TrainingSettings(learningRate, options.Momentum, options.L1, options.L2));
                steps.Stop();
                minibatch++;
                if (!float.IsFinite(loss))
                {
                    var culprit = access is null ? null : FindNonFinite(access, info, scratch);
                    throw Diverged($"The training loss became {loss.ToString(CultureInfo.InvariantCulture)} at epoch {epoch}, minibatch {b + 1} of {batches} ({minibatch} overall, " +
                                   $"learning rate {learningRate}). " + (culprit is { } c ? $"First non-finite parameter: {c.Message}" : access is null ? "" :
                                       "Every parameter is still finite: a probability underflowed to 0 (an overconfident wrong answer). "),
                        epoch, minibatch, culprit?.Parameter, checkpointPath, lastCheckpoint);
                }
                lossSum += loss;
                lossCount++;
                imagesSinceReport += batch;
                if (step is not null)
                {
                    epochLossSum += loss;
                    epochSteps++;
                    double epochSeconds = epochClock.Elapsed.TotalSeconds;
                    step(new StepReport(epoch, options.Epochs, b + 1, batches, batch, minibatch, loss, epochLossSum / epochSteps,
                        epochSeconds > 0 ? epochSteps * (double)batch / epochSeconds : 0, wall.Elapsed));
                }

                if (minibatch % validationFrequency == 0)
                {
                    epochClock.Stop();
                    // Parameters can overflow while the loss stays finite (a saturated unit hides them): check before
                    // anything is validated or saved, so a diverged model never replaces the last good checkpoint.
                    if (access is not null && FindNonFinite(access, info, scratch) is { } culprit)
                        throw Diverged($"At epoch {epoch}, minibatch {b + 1} of {batches} ({minibatch} overall, learning rate {learningRate}), " +
                                       $"the training loss was still finite but a parameter was not: {culprit.Message}",
                            epoch, minibatch, culprit.Parameter, checkpointPath, lastCheckpoint);
                    double validationError = ErrorPercent(network, validation);
                    double? newBestTest = null;
                    if (validationError < bestValidation)
                    {
                        if (validationError < bestValidation * options.ImprovementThreshold)
                            patience = Math.Max(patience, minibatch * options.PatienceIncrease);
                        bestValidation = validationError;
                        bestEpoch = epoch;
                        bestTest = ErrorPercent(network, test);
                        newBestTest = bestTest;
                        if (best is not null)
                            for (int p = 0; p < best.Length; p++) access!.Read(p, ParameterPart.Values, best[p]);
                    }
                    if (checkpointPath is not null)
                    {
                        Checkpoint.SaveTraining(checkpointPath, network, access!, best!, new TrainingState(options, epoch, b + 1, minibatch,
                            learningRate, patience, bestValidation, bestEpoch, bestTest, train.Count, labelsHash));
                        lastCheckpoint = $"epoch {epoch}, minibatch {minibatch}";
                    }
                    double seconds = steps.Elapsed.TotalSeconds - stepSecondsAtReport;
                    progress?.Invoke(new ProgressReport(epoch, minibatch, lossSum / lossCount, validationError, newBestTest,
                        seconds > 0 ? imagesSinceReport / seconds : 0, wall.Elapsed));
                    stepSecondsAtReport = steps.Elapsed.TotalSeconds;
                    lossSum = 0;
                    lossCount = 0;
                    imagesSinceReport = 0;
                    epochClock.Start();
                }
                if (patience <= minibatch) stop = true;
            }
            learningRate *= options.LearningRateDecay;
        }

        double trainSeconds = steps.Elapsed.TotalSeconds;
        long trainedHere = minibatch - (start?.State.Minibatch ?? 0);
        return new TrainingResult(epoch, trainSeconds, wall.Elapsed.TotalSeconds,
            trainSeconds > 0 ? trainedHere * (double)batch / trainSeconds : 0, bestValidation, bestEpoch, bestTest, stop);
    }

    /// <summary>The first parameter (values, then momentum) holding a NaN or infinity, described with its layer and
    /// index; null if all are finite.</summary>
    private static (string Message, string Parameter)? FindNonFinite(ParameterAccess access, NetworkInfo info, float[] scratch)
    {
        foreach (ParameterPart part in (ReadOnlySpan<ParameterPart>)[ParameterPart.Values, ParameterPart.Velocity])
            for (int p = 0; p < access.Shapes.Count; p++)
            {
                ParameterShape shape = access.Shapes[p];
                Span<float> values = scratch.AsSpan(0, shape.Length);
                access.Read(p, part, values);
                if (float.IsFinite(TensorPrimitives.Sum<float>(values))) continue; // any NaN or infinity makes the sum one
                int index = 0;
                while (index < values.Length && float.IsFinite(values[index])) index++;
                if (index == values.Length) continue; // the sum overflowed but every value is finite
                string name = part == ParameterPart.Values ? shape.Name : $"the momentum of {shape.Name}";
                string layer = ParameterAccess.LayerOf(shape.Name, info) is { } l ? $" ({l})" : "";
                int count = 0;
                foreach (float v in values) if (!float.IsFinite(v)) count++;
                return ($"{name}{layer} holds {values[index].ToString(CultureInfo.InvariantCulture)} at [{string.Join(", ", Unravel(index, shape.Shape))}] " +
                        $"({count:N0} of its {values.Length:N0} values are not finite). ", name);
            }
        return null;
    }

    private static int[] Unravel(int index, int[] shape)
    {
        var position = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            position[d] = index % shape[d];
            index /= shape[d];
        }
        return position;
    }

    private static TrainingDivergedException Diverged(string what, int epoch, long minibatch, string? parameter, string? checkpointPath,
        string? lastCheckpoint)
    {
        string kept = checkpointPath is null ? ""
            : lastCheckpoint is null ? $" No checkpoint had been written to {Path.GetFullPath(checkpointPath)} yet."
            : $" The last good checkpoint ({lastCheckpoint}) is kept in {Path.GetFullPath(checkpointPath)}.";
        return new TrainingDivergedException(
            $"{what}Training diverged: try a smaller learning rate (--lr), less momentum, or a stronger decay.{kept}",
            epoch, minibatch, parameter);
    }

    /// <summary>XxHash64 of the labels: a cheap fingerprint that tells a resumed run it was given other data.</summary>
    private static ulong HashLabels(Dataset data) => XxHash64.HashToUInt64(MemoryMarshal.AsBytes(data.Labels.AsSpan()));

    /// <summary>Percentage of <paramref name="data"/> that <paramref name="network"/> misclassifies.</summary>
    public static double ErrorPercent(INetwork network, Dataset data)
    {
        CheckFits(network.Info, data, "evaluation");
        int classes = network.Info.Classes, chunk = network.BatchCapacity;
        var probabilities = new float[chunk * classes];
        long wrong = 0;
        for (int start = 0; start < data.Count; start += chunk)
        {
            int n = Math.Min(chunk, data.Count - start);
            network.Predict(data.Images.AsSpan(start * network.Info.InputSize, n * network.Info.InputSize), n, probabilities);
            for (int i = 0; i < n; i++)
                if (ArgMax(probabilities.AsSpan(i * classes, classes)) != data.Labels[start + i]) wrong++;
        }
        return data.Count == 0 ? 0 : 100.0 * wrong / data.Count;
    }

    /// <summary>
    /// Counts how <paramref name="network"/> classifies <paramref name="data"/>: entry [t, p] is the number of images of
    /// true class t predicted as class p (the most probable class, the first on ties), for t and p in
    /// [0, <see cref="NetworkInfo.Classes"/>). The diagonal holds the correct answers; each row sums to the number of
    /// images of its class.
    /// </summary>
    /// <exception cref="ArgumentException">The images do not fit the network, or the data has more classes than it
    /// scores.</exception>
    public static int[,] ConfusionMatrix(INetwork network, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        CheckFits(network.Info, data, "evaluation");
        int classes = network.Info.Classes;
        var counts = new int[classes, classes];
        int[] predicted = network.Classify(data.Images.AsSpan(0, data.Count * data.Features), data.Count);
        for (int i = 0; i < data.Count; i++) counts[data.Labels[i], predicted[i]]++; // labels < data.Classes ≤ classes
        return counts;
    }

    /// <summary>Index of the largest value (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static void CheckFits(NetworkInfo info, Dataset data, string what)
    {
        if (data.Features != info.InputSize)
            throw new ArgumentException($"The {what} images have {data.Height}×{data.Width} = {data.Features} values, but {info.Name} takes {info.InputSize} ({info.Summary}).");
        if (data.Classes > info.Classes)
            throw new ArgumentException($"The {what} set has {data.Classes} classes, but {info.Name} scores {info.Classes}.");
    }
}
