namespace Dsl.Cpu;

/// <summary>
/// Splits an element-wise pass over a long array into one contiguous chunk per core. Element-wise passes such as the
/// SGD step are memory-bound, and one core cannot draw the machine's full bandwidth; results do not depend on the
/// split, so they stay deterministic.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>An element-wise pass over [start, start + count).</summary>
    public interface IRangeBody
    {
        /// <summary>Processes elements [start, start + count).</summary>
        void Run(int start, int count);
    }

    /// <summary>Below this many elements a pass runs on the calling thread: the fork would cost more than it saves.</summary>
    public const int MinimumParallelLength = 1 << 16;

    /// <summary>Calls <paramref name="body"/>.Run(start, count) over [0, <paramref name="length"/>) in per-core
    /// chunks.</summary>
    public static void Run<TBody>(int length, TBody body) where TBody : struct, IRangeBody
    {
        int chunks = Math.Min(WorkerPool.Parallelism, length / (MinimumParallelLength / 2));
        if (chunks <= 1)
        {
            body.Run(0, length);
            return;
        }
        // Chunk borders on 64-element multiples keep every chunk's vectors aligned like the whole array's.
        WorkerPool.For(chunks, new Chunks<TBody>(body, length, (length / chunks + 63) & ~63));
    }

    private readonly struct Chunks<TBody>(TBody body, int length, int chunkLength) : IParallelBody
        where TBody : struct, IRangeBody
    {
        public void Run(int chunk)
        {
            int start = chunk * chunkLength;
            if (start < length) body.Run(start, Math.Min(chunkLength, length - start));
        }
    }
}
