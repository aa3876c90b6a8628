using Dsl.Cpu;
using Xunit;

namespace Dsl.Tests.Cpu;

/// <summary><see cref="WorkerPool"/>: every item once, exceptions carried to the caller, nested and concurrent calls
/// correct, nothing allocated per call.</summary>
public class WorkerPoolTests
{
    private readonly unsafe struct Count(int* hits) : IParallelBody
    {
        public void Run(int index) => Interlocked.Increment(ref hits[index]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(1000)]
    public unsafe void Runs_every_item_exactly_once(int count)
    {
        int[] hits = new int[count + 1];
        for (int repeat = 0; repeat < 20; repeat++)
            fixed (int* pointer = hits)
                WorkerPool.For(count, new Count(pointer));
        Assert.All(hits[..count], hit => Assert.Equal(20, hit));
        Assert.Equal(0, hits[count]);
    }

    private readonly struct Throw(int failing) : IParallelBody
    {
        public void Run(int index)
        {
            if (index == failing) throw new InvalidOperationException($"item {index} failed");
        }
    }

    [Fact]
    public void An_item_that_throws_fails_the_call_and_the_pool_keeps_working()
    {
        var error = Assert.Throws<InvalidOperationException>(() => WorkerPool.For(64, new Throw(37)));
        Assert.Equal("item 37 failed", error.Message);
        Runs_every_item_exactly_once(100);
    }

    private readonly unsafe struct Nested(int* hits) : IParallelBody
    {
        public void Run(int index) => WorkerPool.For(10, new Count(hits + index * 10));
    }

    [Fact]
    public unsafe void Calls_from_inside_an_item_run_inline()
    {
        int[] hits = new int[100];
        fixed (int* pointer = hits)
            WorkerPool.For(10, new Nested(pointer));
        Assert.All(hits, hit => Assert.Equal(1, hit));
    }

    [Fact]
    public void Calls_from_several_threads_at_once_each_complete()
    {
        int[][] hits = Enumerable.Range(0, 4).Select(_ => new int[500]).ToArray();
        var threads = hits.Select(array => new Thread(() =>
        {
            unsafe
            {
                for (int repeat = 0; repeat < 50; repeat++)
                    fixed (int* pointer = array)
                        WorkerPool.For(array.Length, new Count(pointer));
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.All(hits, array => Assert.All(array, hit => Assert.Equal(50, hit)));
    }

    [Fact]
    public unsafe void A_call_allocates_nothing()
    {
        int[] hits = new int[64];
        fixed (int* pointer = hits)
        {
            for (int i = 0; i < 10; i++) WorkerPool.For(hits.Length, new Count(pointer));
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) WorkerPool.For(hits.Length, new Count(pointer));
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
