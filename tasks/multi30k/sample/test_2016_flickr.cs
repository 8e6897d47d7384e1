Muž v oranžovém klobouku na něco zírá.
Bostonský teriér běží po zářivě zelené trávě před bílým plotem.
Dívka v uniformě na karate, která předním kopem láme dřívko.
Pět lidí v zimních bundách a s helmami stojí ve sněhu, se zasněženými skútry v pozadí.
Lidé opravují střechu domu.
Muž ve světlém oblečení fotografuje skupinu mužů v tmavých oblecích a v kloboucích stojících okolo ženy oblečené v šatech bez ramínek.
