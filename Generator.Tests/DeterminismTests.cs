using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Generator.Tests;

/// <summary>
/// Same input, same bytes (builds are deterministic and baselines stable); and no input, however broken, makes the
/// generator throw: an exception there surfaces in the IDE as CS8785 and silently drops every network.
/// </summary>
public sealed class DeterminismTests(ITestOutputHelper output)
{
    [Fact]
    public void GeneratingTwice_GivesByteIdenticalText()
    {
        string all = Sources.LogisticRegression + "\n" + Sources.Mlp.Replace("namespace Dsl.Examples;", "namespace Dsl.Examples2;");
        var first = GenerateAll(all);
        var second = GenerateAll(all);

        Assert.Equal(2, first.Count);
        Assert.Equal(first.Keys, second.Keys);
        foreach (string hintName in first.Keys)
            Assert.Equal(first[hintName], second[hintName]);
    }

    [Theory]
    [InlineData("de-DE")] // decimal comma, '.' grouping
    [InlineData("fr-FR")] // narrow no-break space grouping
    [InlineData("fa-IR")] // right-to-left, its own minus sign
    public void TheCurrentCulture_DoesNotChangeTheText(string culture)
    {
        var invariant = WithCulture(CultureInfo.InvariantCulture, () => GenerateAll(Sources.Mlp));
        var other = WithCulture(CultureInfo.GetCultureInfo(culture), () => GenerateAll(Sources.Mlp));
        Assert.Equal(invariant[Sources.MlpHintName], other[Sources.MlpHintName]);
    }

    /// <summary>A declaration that walks most of the parser's error paths: DSL0001, 0003, 0005, 0006, 0007, 0010, 0012.</summary>
    private const string Mistakes = """
        using Dsl;
        using static Dsl.Activation;

        namespace Broken;

        sealed class PoolAttribute : LayerAttribute { }

        [Input(1, 0, 28)]
        [Dense(-1, Softmax)]
        [Pool]
        [Dense(10, (Activation)9)]
        class Generic<T> { }

        partial class Outer { [Input(3)] [Dense(10, Softmax)] partial class Inner { } }

        [Input(4)]
        partial class Split { }
        [Dense(2, Softmax)]
        partial class Split { }
        """;

    [Theory]
    [InlineData(nameof(Sources.Mlp))]
    [InlineData(nameof(Sources.LeNet5))]
    [InlineData(nameof(Mistakes))]
    public void EveryPrefixAndEveryOneCharDeletion_NeverThrows_ReportsOnUserCode_AndGeneratesCodeThatCompiles(string name)
    {
        // Prefixes are what the generator sees while a declaration is typed (unclosed attributes, half-written
        // arguments, no class yet); deletions break one token anywhere. All runs derive from one base compilation,
        // so the generator runs take a second or two; generated files are compiled once per distinct text.
        string text = name switch { nameof(Mistakes) => Mistakes, nameof(Sources.LeNet5) => Sources.LeNet5, _ => Sources.Mlp };
        var inputs = Enumerable.Range(0, text.Length + 1).Select(n => ("prefix", n, text[..n]))
            .Concat(Enumerable.Range(0, text.Length).Select(i => ("deletion", i, text.Remove(i, 1))))
            .ToList();

        var failures = new List<string>();
        var compiledTexts = new HashSet<string>();
        int generated = 0, withDiagnostics = 0;
        foreach (var (kind, position, source) in inputs)
        {
            string where = $"{kind} at {position} («{Around(text, position)}»)";
            CSharpCompilation compilation = TestCompilation.Create(source);
            GeneratorRunResult result = TestCompilation.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();
            if (result.Exception is not null)
                failures.Add($"{where}: {result.Exception}");
            if (result.GeneratedSources.Length > 0) generated++;
            if (result.Diagnostics.Length > 0) withDiagnostics++;

            // Every diagnostic points into the user's file, at a real span of it.
            SyntaxTree userTree = compilation.SyntaxTrees.Single();
            foreach (Diagnostic d in result.Diagnostics)
            {
                FileLinePositionSpan span = d.Location.GetLineSpan();
                if (span.Path != userTree.FilePath || d.Location.SourceSpan.IsEmpty || d.Location.SourceSpan.End > source.Length)
                    failures.Add($"{where}: {d.Id} is not on the user's code: {d}");
            }

            // Generated code compiles next to whatever the user wrote: its errors are the user's, never the generator's.
            foreach (GeneratedSourceResult file in result.GeneratedSources.Where(f => compiledTexts.Add(f.SourceText.ToString())))
                failures.AddRange(compilation.AddSyntaxTrees(file.SyntaxTree).GetDiagnostics()
                    .Where(d => d.Location.SourceTree == file.SyntaxTree && d.Severity == DiagnosticSeverity.Error)
                    .Select(d => $"{where}: generated code does not compile: {d}"));
        }

        output.WriteLine($"{name}: {inputs.Count} cases ({text.Length + 1} prefixes, {text.Length} deletions): " +
                         $"{generated} generated a network ({compiledTexts.Count} distinct files, all compiled), " +
                         $"{withDiagnostics} reported DSL diagnostics, {failures.Count} failures.");
        Assert.Equal(2 * text.Length + 1, inputs.Count);
        Assert.True(failures.Count == 0, $"{failures.Count} failures in {inputs.Count} cases:\n" + string.Join("\n", failures.Take(5)));
        Assert.True(withDiagnostics > 0 && generated > 0, "no case reached both the parser's errors and the emitter, so this test checked little");
    }

    /// <summary>
    /// A project may define its own Dsl.InputAttribute or Dsl.DenseAttribute (a copy that drifted from the runtime's,
    /// or no runtime reference at all): the generator matches attributes by name, so it must not assume their
    /// constructors' arity.
    /// </summary>
    [Theory]
    [InlineData("public sealed class InputAttribute : System.Attribute { }", "[Input] [Dense(10, Softmax)]")]
    [InlineData("public sealed class InputAttribute(int height, int width) : System.Attribute { }", "[Input(28, 28)] [Dense(10, Softmax)]")]
    [InlineData("public sealed class DenseAttribute : LayerAttribute { }", "[Input(784)] [Dense]")]
    public void RedefinedDslAttributes_WithOtherConstructors_NeverThrow(string attribute, string attributes)
    {
        string source = $$"""
            using Dsl;
            using static Dsl.Activation;

            namespace Dsl { [System.AttributeUsage(System.AttributeTargets.Class)] {{attribute}} }

            {{attributes}}
            partial class Net { }
            """;
        GeneratorRunResult result = TestCompilation.Run(source);
        Assert.True(result.Exception is null, $"the generator threw: {result.Exception}");
    }

    private static string Around(string text, int position) =>
        text.Substring(Math.Max(0, position - 20), Math.Min(text.Length, position + 10) - Math.Max(0, position - 20)).Replace("\n", "⏎");

    /// <summary>Generated files by hint name, as UTF-8 bytes (what lands on disk with EmitCompilerGeneratedFiles).</summary>
    private static Dictionary<string, byte[]> GenerateAll(string source)
    {
        GeneratorRunResult result = TestCompilation.Run(source);
        Assert.Null(result.Exception);
        Assert.Empty(result.Diagnostics);
        return result.GeneratedSources.ToDictionary(s => s.HintName, s => Encoding.UTF8.GetBytes(s.SourceText.ToString()));
    }

    private static T WithCulture<T>(CultureInfo culture, Func<T> action)
    {
        CultureInfo saved = CultureInfo.CurrentCulture, savedUi = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = culture;
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
            CultureInfo.CurrentUICulture = savedUi;
        }
    }
}
