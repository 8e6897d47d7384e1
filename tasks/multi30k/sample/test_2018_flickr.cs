Mladý muž se účastní závodu, zatímco ten, který jej zaznamenává, se usmívá. 
Muž se škrábe vzadu na krku, zatímco hledá knihu v knihkupectví. 
Osoba s brýlemi a čepicí sáňkuje. 
Dívka v růžovém kabátě a květovaných galoších sjíždí z kopce. 
Tři dívky stojí před oknem budovy. 
dva psi si hrají se stejným klackem v tlamách
