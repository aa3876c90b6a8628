namespace Dsl.Checkpoints;

/// <summary>
/// TEST HOOK, for the crash tests only: lets a test stop a process at a chosen point of a checkpoint write and kill it
/// there, deterministically. Inert unless the environment variable <see cref="Variable"/> is set, which nothing but
/// those tests does.
/// </summary>
/// <remarks>
/// <c>DSL_CHECKPOINT_TEST_PAUSE=&lt;stage&gt;:&lt;n&gt;</c> makes the <c>n</c>-th checkpoint write of the process
/// (1-based) print <c>checkpoint test hook: paused &lt;stage&gt; &lt;temporary file&gt;</c> on standard error and sleep
/// for a minute at <c>stage</c>, then go on normally (any other value is ignored): <c>partial</c> pauses with half of the temporary file written and
/// flushed, <c>unrenamed</c> with all of it on disk but not yet renamed over the checkpoint.
/// </remarks>
internal static class CheckpointTestHook
{
    /// <summary>The environment variable read (once, at first use).</summary>
    public const string Variable = "DSL_CHECKPOINT_TEST_PAUSE";

    /// <summary>How long a paused write sleeps before going on, if the test has not killed the process by then.</summary>
    public static readonly TimeSpan PauseLength = TimeSpan.FromMinutes(1);

    public enum Stage { Partial, Unrenamed }

    private static readonly (Stage Stage, int Write)? s_pause = Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Whether write number <paramref name="write"/> pauses at <paramref name="stage"/>.</summary>
    public static bool PausesAt(Stage stage, int write) => s_pause is { } p && p.Stage == stage && p.Write == write;

    /// <summary>Announces the pause on standard error and sleeps.</summary>
    public static void Pause(Stage stage, int write, string temporary)
    {
        Console.Error.WriteLine($"checkpoint test hook: paused {stage.ToString().ToLowerInvariant()} at write {write}: {temporary}");
        Console.Error.Flush();
        Thread.Sleep(PauseLength);
    }

    private static (Stage, int)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        string[] parts = value.Split(':');
        return parts.Length == 2 && Enum.TryParse(parts[0], ignoreCase: true, out Stage stage) && int.TryParse(parts[1], out int write) && write > 0
            ? (stage, write) : null; // anything else: inert
    }
}
