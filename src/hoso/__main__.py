from hoso.cli import main

main()
