namespace Dsl.Checkpoints;

/// <summary>What is wrong with a checkpoint file.</summary>
public enum CheckpointProblem
{
    /// <summary>The file does not start with a checkpoint's magic bytes.</summary>
    NotACheckpoint,
    /// <summary>The file was written by a newer format version than this build reads.</summary>
    NewerVersion,
    /// <summary>The file is shorter than its header says: the write or copy was cut short.</summary>
    Truncated,
    /// <summary>The checksum does not match the content, or the content does not parse.</summary>
    Corrupted,
    /// <summary>The checkpoint holds another network's parameters.</summary>
    ArchitectureMismatch,
    /// <summary>The checkpoint holds a model but not the state needed to resume training.</summary>
    NoTrainingState,
    /// <summary>Resuming with a training set other than the one the checkpoint was trained on.</summary>
    DataMismatch,
    /// <summary>The file could not be written; a previous checkpoint at the path is unchanged.</summary>
    WriteFailed,
}

/// <summary>A checkpoint that cannot be read, does not fit the network, or could not be written. The message names the
/// file and the problem.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public CheckpointException(string path, CheckpointProblem problem, string message, Exception? inner = null)
        : base($"{path}: {message}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The checkpoint file concerned (full path).</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public CheckpointProblem Problem { get; }
}
