using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Dsl.Generator.Tests;

/// <summary>
/// The incremental cache: edits that cannot change a network must not rebuild its model or re-emit its code.
/// Both kinds of harmless edit are needed: an unrelated new file only proves the attribute pipeline filters well;
/// a trivia-only edit of the attributed file re-runs the parser and proves its model holds values, not syntax or
/// symbols (which would compare unequal and re-emit on every keystroke).
/// </summary>
public sealed class IncrementalTests
{
    private const string SourceOutputStep = "SourceOutput"; // Roslyn's tracking name for RegisterSourceOutput steps

    [Fact]
    public void UnrelatedNewFile_ServesModelAndSourceFromCache()
    {
        var (driver, compilation) = FirstRun(Sources.Mlp);

        Compilation changed = compilation.AddSyntaxTrees(TestCompilation.Parse("namespace Other; class Unrelated { int X => 1; }", "/src/Unrelated.cs"));
        GeneratorRunResult result = driver.RunGenerators(changed).GetRunResult().Results.Single();

        AssertAllReasons(result.TrackedSteps[NetworkGenerator.Steps.Models], IncrementalStepRunReason.Cached);
        AssertAllReasons(result.TrackedOutputSteps[SourceOutputStep], IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void TriviaOnlyEdit_OfTheAttributedFile_ServesModelAndSourceFromCache()
    {
        var (driver, compilation) = FirstRun(Sources.Mlp);

        // A comment and blank lines before the attributes: every span in the file moves, nothing else changes.
        SyntaxTree old = compilation.SyntaxTrees.Single();
        string edited = Sources.Mlp.Replace("[Input(784)]", "// A comment that shifts every position.\n\n[Input(784)]  ");
        Assert.NotEqual(Sources.Mlp, edited);
        Compilation changed = compilation.ReplaceSyntaxTree(old, TestCompilation.Parse(edited, old.FilePath));
        GeneratorRunResult result = driver.RunGenerators(changed).GetRunResult().Results.Single();

        // The parser did re-run on the edited class (else this test would prove nothing) ...
        Assert.Contains(result.TrackedSteps[NetworkGenerator.Steps.Networks].SelectMany(s => s.Outputs),
            o => o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Modified);
        // ... and produced an equal model, so nothing downstream ran again.
        AssertAllReasons(result.TrackedSteps[NetworkGenerator.Steps.Models], IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result.TrackedOutputSteps[SourceOutputStep], IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void RealChange_ModifiesTheModelAndRegeneratesTheCode()
    {
        var (driver, compilation) = FirstRun(Sources.Mlp);
        string before = driver.GetRunResult().Results.Single().GeneratedSources.Single().SourceText.ToString();

        SyntaxTree old = compilation.SyntaxTrees.Single();
        string edited = Sources.Mlp.Replace("[Dense(500, Tanh)]", "[Dense(400, Tanh)]");
        Compilation changed = compilation.ReplaceSyntaxTree(old, TestCompilation.Parse(edited, old.FilePath));
        GeneratorRunResult result = driver.RunGenerators(changed).GetRunResult().Results.Single();

        AssertAllReasons(result.TrackedSteps[NetworkGenerator.Steps.Models], IncrementalStepRunReason.Modified);
        string after = Assert.Single(result.GeneratedSources).SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Contains("new global::Dsl.LayerInfo(\"Dense(400, Tanh)\", \"784\", \"400\", 314000, 627200)", after);
        Assert.DoesNotContain("Dense(500", after);
    }

    [Fact]
    public void FixingAMistake_ClearsTheDiagnosticAndGeneratesTheCode()
    {
        // The diagnostics branch must follow edits too, not stay cached with the old error.
        string broken = Sources.Mlp.Replace("[Dense(10, Softmax)]", "[Dense(10, Tanh)]");
        var (driver, compilation) = FirstRun(broken);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        Assert.Equal("DSL0009", Assert.Single(first.Diagnostics).Id);
        Assert.Empty(first.GeneratedSources);

        SyntaxTree old = compilation.SyntaxTrees.Single();
        GeneratorRunResult fixedResult = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, TestCompilation.Parse(Sources.Mlp, old.FilePath)))
            .GetRunResult().Results.Single();
        Assert.Empty(fixedResult.Diagnostics);
        Assert.Equal(Sources.MlpHintName, Assert.Single(fixedResult.GeneratedSources).HintName);
    }

    /// <summary>Runs a step-tracking driver once on <paramref name="source"/>: the state later runs are compared with.</summary>
    private static (GeneratorDriver Driver, Compilation Compilation) FirstRun(string source)
    {
        Compilation compilation = TestCompilation.Create(source);
        GeneratorDriver driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return (driver, compilation);
    }

    private static void AssertAllReasons(IEnumerable<IncrementalGeneratorRunStep> steps, params IncrementalStepRunReason[] allowed)
    {
        var outputs = steps.SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs); // a step that produced nothing would pass vacuously
        Assert.All(outputs, o => Assert.Contains(o.Reason, allowed));
    }
}
