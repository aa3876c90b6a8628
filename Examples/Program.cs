// Placeholder until the CLI lands.
System.Console.WriteLine("Dsl examples");
