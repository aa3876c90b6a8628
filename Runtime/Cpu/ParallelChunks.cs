namespace Dsl.Cpu;

/// <summary>
/// Splits an element-wise pass over a long array into one contiguous chunk per core. Element-wise passes such as the
/// SGD step are memory-bound, and one core cannot draw the machine's full bandwidth; results do not depend on the
/// split, so they stay deterministic.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>Below this many elements a pass runs on the calling thread: the fork would cost more than it saves.</summary>
    public const int MinimumParallelLength = 1 << 16;

    /// <summary>Calls <paramref name="body"/>(start, count) over [0, <paramref name="length"/>) in per-core chunks.</summary>
    public static void Run(int length, Action<int, int> body)
    {
        int chunks = Math.Min(Environment.ProcessorCount, length / (MinimumParallelLength / 2));
        if (chunks <= 1)
        {
            body(0, length);
            return;
        }
        // Chunk borders on 64-element multiples keep every chunk's vectors aligned like the whole array's.
        int chunkLength = (length / chunks + 63) & ~63;
        Parallel.For(0, chunks, c =>
        {
            int start = c * chunkLength;
            if (start < length) body(start, Math.Min(chunkLength, length - start));
        });
    }
}
