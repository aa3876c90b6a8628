using Dsl.Training;

namespace Dsl.Checkpoints;

/// <summary>
/// Where a training run stood when a checkpoint was written (at a validation): with the current parameters and
/// momentum stored beside it, enough for <see cref="Trainer"/>.<c>Resume</c>
/// to continue exactly as the uninterrupted run would have.
/// </summary>
/// <param name="Options">The run's hyper-parameters; a resumed run keeps them (only the epoch bound may change).</param>
/// <param name="Epoch">The 1-based epoch in progress.</param>
/// <param name="BatchesDoneInEpoch">Minibatches of that epoch already trained (the epoch's order is re-derived from
/// <see cref="TrainerOptions.Seed"/> by replaying the shuffles).</param>
/// <param name="Minibatch">Minibatches trained over all epochs.</param>
/// <param name="LearningRate">The learning rate in effect (after the decays of the finished epochs).</param>
/// <param name="Patience">The early-stopping bound in minibatches, as grown by improvements so far.</param>
/// <param name="BestValidationErrorPercent">Lowest validation error so far; the checkpoint's model has it.</param>
/// <param name="BestEpoch">Epoch of that validation.</param>
/// <param name="BestTestErrorPercent">Test error of the best model.</param>
/// <param name="TrainingCount">Images in the training set, checked on resume.</param>
/// <param name="TrainingLabelsHash">XxHash64 of the training labels, checked on resume so a different set is noticed.</param>
public sealed record TrainingState(TrainerOptions Options, int Epoch, int BatchesDoneInEpoch, long Minibatch, float LearningRate,
    long Patience, double BestValidationErrorPercent, int BestEpoch, double BestTestErrorPercent, int TrainingCount,
    ulong TrainingLabelsHash);
