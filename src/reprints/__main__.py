from reprints.cli import main

main()
