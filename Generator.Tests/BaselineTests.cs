using System.Reflection;
using System.Text;
using Xunit;

namespace Dsl.Generator.Tests;

/// <summary>
/// Snapshot tests: the code generated for the example networks must equal the files in Generator.Tests/Baselines/.
/// After an intended change to the emitted code, regenerate them and review the diff:
/// <code>DSL_UPDATE_BASELINES=1 dotnet test Generator.Tests -c Release</code>
/// With DSL_UPDATE_BASELINES=1 each test writes the actual output into the source folder's Baselines/ (located by a
/// build-time constant, see the csproj) and passes. Without it, the baselines copied to the test output are compared
/// by the testing package's generator test, which also compiles the generated code against the real runtime and
/// fails on any compiler warning or error in it.
/// </summary>
public sealed class BaselineTests
{
    [Fact]
    public Task LogisticRegression_MatchesBaseline() =>
        VerifyBaselineAsync(Sources.LogisticRegression, Sources.LogisticRegressionHintName);

    [Fact]
    public Task Mlp_MatchesBaseline() => VerifyBaselineAsync(Sources.Mlp, Sources.MlpHintName);

    [Fact]
    public Task LeNet5_MatchesBaseline() => VerifyBaselineAsync(Sources.LeNet5, Sources.LeNet5HintName);

    [Fact]
    public Task Dbn_MatchesBaseline() => VerifyBaselineAsync(Sources.Dbn, Sources.DbnHintName);

    [Fact]
    public void EveryBaseline_BelongsToATest()
    {
        // A renamed or removed network must not leave a stale baseline behind.
        if (Baselines.Updating) return; // the output copies are refreshed by the next build
        string[] files = Directory.GetFiles(Baselines.OutputDirectory, "*.g.cs").Select(Path.GetFileName).ToArray()!;
        Assert.Equal(new[] { Sources.LogisticRegressionHintName, Sources.MlpHintName, Sources.LeNet5HintName, Sources.DbnHintName }.Order(), files.Order());
    }

    private static async Task VerifyBaselineAsync(string source, string hintName)
    {
        string expected;
        if (Baselines.Updating)
        {
            expected = TestCompilation.Generate(source, hintName);
            Baselines.Write(hintName, expected);
        }
        else
        {
            expected = Baselines.Read(hintName);
        }

        // The tuple names the file as the driver does: "<generator assembly>/<generator type full name>/<hint name>",
        // here "Dsl.Generator/Dsl.Generator.NetworkGenerator/Dsl.Examples.Mlp.g.cs".
        var test = new GeneratorTest
        {
            TestState =
            {
                // As in Examples/, whose project has the SDK's implicit usings (see GeneratedCodeCompilesTests
                // for the same networks without them).
                Sources = { source, Sources.ImplicitUsings },
                GeneratedSources = { (typeof(NetworkGenerator), hintName, expected) },
            },
        };
        await test.RunAsync();
    }

    private static class Baselines
    {
        public static bool Updating => Environment.GetEnvironmentVariable("DSL_UPDATE_BASELINES") == "1";

        /// <summary>The copies next to the test assembly (Baselines/** is copied to the output).</summary>
        public static string OutputDirectory => Path.Combine(AppContext.BaseDirectory, "Baselines");

        /// <summary>Generator.Tests/Baselines in the source tree, as recorded at build time.</summary>
        private static string SourceDirectory =>
            typeof(BaselineTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "BaselinesSourceDirectory").Value!;

        public static string Read(string hintName)
        {
            string path = Path.Combine(OutputDirectory, hintName);
            if (!File.Exists(path))
                Assert.Fail($"No baseline {path}; create it with DSL_UPDATE_BASELINES=1 dotnet test Generator.Tests -c Release");
            return File.ReadAllText(path, Encoding.UTF8);
        }

        public static void Write(string hintName, string text)
        {
            Directory.CreateDirectory(SourceDirectory);
            // No BOM, '\n' line ends as generated: the file is byte for byte what the generator emits.
            File.WriteAllText(Path.Combine(SourceDirectory, hintName), text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }
    }
}
