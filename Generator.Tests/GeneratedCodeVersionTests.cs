using System.Text.RegularExpressions;
using Xunit;

namespace Dsl.Generator.Tests;

/// <summary>The [GeneratedCode] attribute names the generator's version, which is the packages' version.</summary>
public sealed class GeneratedCodeVersionTests
{
    [Fact]
    public void GeneratedCodeAttribute_NamesTheGeneratorAssemblysVersion()
    {
        string generated = TestCompilation.Generate("""
            using Dsl;
            using static Dsl.Activation;
            namespace N;
            [Input(4)] [Dense(2, Softmax)] partial class Net { }
            """, "N.Net.g.cs");
        Version version = typeof(NetworkGenerator).Assembly.GetName().Version!;
        Match match = Regex.Match(generated, @"GeneratedCode\(""Dsl.Generator"", ""([^""]+)""\)");
        Assert.True(match.Success);
        Assert.Equal($"{version.Major}.{version.Minor}.{version.Build}", match.Groups[1].Value);
    }
}
