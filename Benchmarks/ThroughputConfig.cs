using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Dsl.Benchmarks;

/// <summary>A benchmark case that knows how many floating-point operations one invocation does (0: not counted).</summary>
public interface ICountsFlops
{
    /// <summary>Floating-point operations per invocation.</summary>
    double Flops { get; }
}

/// <summary>Adds a GFLOP/s column for cases whose <c>Case</c> parameter counts its FLOPs, and room for their names.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddColumn(new GigaflopsColumn());
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(32);
    }

    /// <summary>The case's FLOPs over its mean time.</summary>
    private sealed class GigaflopsColumn : IColumn
    {
        public string Id => nameof(GigaflopsColumn);
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Floating-point operations per second over the mean time, in billions";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return benchmarkCase.Parameters["Case"] is ICountsFlops { Flops: > 0 } counted && meanNanoseconds is > 0
                ? (counted.Flops / meanNanoseconds.Value).ToString("F1")
                : "-";
        }

        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public override string ToString() => ColumnName;
    }
}
