using System.Runtime.ExceptionServices;

namespace Dsl.Cpu;

/// <summary>A piece of parallel work: <see cref="Run"/> is called once for every index of a
/// <see cref="WorkerPool.For{TBody}"/> call, on any thread, possibly at the same time for different indices.</summary>
internal interface IParallelBody
{
    /// <summary>Does the work of item <paramref name="index"/>.</summary>
    void Run(int index);
}

/// <summary>
/// The CPU path's own fork-join loop: <c>Environment.ProcessorCount − 1</c> background threads that wait for work,
/// and the calling thread, which takes part. Unlike <see cref="Parallel.For(int, int, Action{int})"/> it allocates
/// nothing per call (a training step makes dozens of parallel calls), because the work is a struct passed by value
/// instead of a closure.
/// </summary>
/// <remarks>
/// <para>Items are handed out one at a time from a shared counter, so a slow or descheduled thread takes fewer.
/// Which thread runs an item must never change a result; every caller keeps its items independent.</para>
/// <para>A call made while the pool is busy (from inside an item, or from a second thread training another network)
/// runs its items on the calling thread, in order: that is always correct, and the pool is already using the
/// cores.</para>
/// </remarks>
internal static class WorkerPool
{
    private static readonly object Gate = new();
    private static readonly int WorkerCount = Math.Max(0, Environment.ProcessorCount - 1);
    private static readonly SemaphoreSlim WorkAvailable = new(0);
    private static readonly ManualResetEventSlim AllDone = new(false);
    private static bool _started;

    // The current job: its items, the next one to take, and the workers still running it.
    private static Action<int>? _job;
    private static int _count, _next, _running;
    private static ExceptionDispatchInfo? _failure;

    // Set for the pool's threads, and for a caller while it runs a job: a nested call then runs inline.
    [ThreadStatic] private static bool _inside;

    /// <summary>Threads that run items, the caller included.</summary>
    public static int Parallelism => WorkerCount + 1;

    /// <summary>Part <paramref name="part"/> of [0, <paramref name="length"/>) cut into <paramref name="parts"/>
    /// contiguous parts as even as whole numbers allow: [length·part/parts, length·(part + 1)/parts).</summary>
    public static (int Start, int End) Part(int length, int parts, int part) =>
        ((int)((long)length * part / parts), (int)((long)length * (part + 1) / parts));

    /// <summary>Calls <paramref name="body"/>.Run(i) for every i in [0, <paramref name="count"/>), spread over the
    /// cores, and returns when all are done. The first exception an item throws is rethrown here once every item
    /// has finished or been skipped.</summary>
    public static void For<TBody>(int count, TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        if (count == 1 || WorkerCount == 0 || _inside || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < count; i++) body.Run(i);
            return;
        }
        try
        {
            Slot<TBody>.Body = body;
            Dispatch(count, Slot<TBody>.Run);
        }
        finally
        {
            Slot<TBody>.Body = default; // drop references the body holds
            Monitor.Exit(Gate);
        }
    }

    /// <summary>Where the workers find the current body of each type; one job runs at a time, under the gate.</summary>
    private static class Slot<TBody> where TBody : struct, IParallelBody
    {
        public static TBody Body;
        public static readonly Action<int> Run = index => Body.Run(index);
    }

    private static void Dispatch(int count, Action<int> job)
    {
        if (!_started) StartWorkers();
        int helpers = Math.Min(WorkerCount, count - 1);
        _job = job;
        _count = count;
        _next = 0;
        _failure = null;
        AllDone.Reset();
        Volatile.Write(ref _running, helpers);
        WorkAvailable.Release(helpers);
        _inside = true;
        try
        {
            RunItems(job, count);
        }
        finally
        {
            _inside = false;
        }
        // Workers that have not woken yet would find nothing left: take their wake-ups back rather than wait for them.
        while (Volatile.Read(ref _running) > 0 && WorkAvailable.Wait(0))
            if (Interlocked.Decrement(ref _running) == 0) AllDone.Set();
        AllDone.Wait();
        _job = null;
        ExceptionDispatchInfo? failure = _failure;
        _failure = null;
        failure?.Throw();
    }

    /// <summary>Takes items until none are left; after a failure, the rest are skipped.</summary>
    private static void RunItems(Action<int> job, int count)
    {
        for (int index; (index = Interlocked.Increment(ref _next) - 1) < count;)
        {
            try
            {
                job(index);
            }
            catch (Exception exception)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(exception), null);
                Volatile.Write(ref _next, count);
            }
        }
    }

    private static void StartWorkers()
    {
        for (int i = 0; i < WorkerCount; i++)
            new Thread(Work) { IsBackground = true, Name = $"Dsl CPU worker {i + 1}" }.Start();
        _started = true;
    }

    private static void Work()
    {
        _inside = true;
        while (true)
        {
            WorkAvailable.Wait();
            RunItems(_job!, _count);
            if (Interlocked.Decrement(ref _running) == 0) AllDone.Set();
        }
    }
}
